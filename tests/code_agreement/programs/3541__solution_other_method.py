# problem: 3541
# quirk: module_function_with_solution_class
# note: module-level function; class Solution holds only a helper method
class Solution:
    def banned_set(self, bannedWords: list[str]) -> set[str]:
        return set(bannedWords)


def reportSpam(message: list[str], bannedWords: list[str]) -> bool:
    banned = Solution().banned_set(bannedWords)
    return sum(w in banned for w in message) >= 2
