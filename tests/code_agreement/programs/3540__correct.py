# problem: 3540
# quirk: none
# note: correct solution returning a string
class Solution:
    def stringHash(self, s: str, k: int) -> str:
        return "".join(chr(sum(ord(c) - 97 for c in s[i : i + k]) % 26 + 97) for i in range(0, len(s), k))
