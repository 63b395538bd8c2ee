# problem: 3543
# quirk: none
# note: correct solution (same as tests/code_solutions)
class Solution:
    def countKConstraintSubstrings(self, s: str, k: int) -> int:
        total = 0
        for i in range(len(s)):
            for j in range(i + 1, len(s) + 1):
                sub = s[i:j]
                if sub.count("0") <= k or sub.count("1") <= k:
                    total += 1
        return total
