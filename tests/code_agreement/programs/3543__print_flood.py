# problem: 3543
# quirk: call_mode_print_flood
# note: functional solution printing ~20 MB of debug output, then returning the right answer
class Solution:
    def countKConstraintSubstrings(self, s: str, k: int) -> int:
        total = 0
        for i in range(len(s)):
            for j in range(i + 1, len(s) + 1):
                sub = s[i:j]
                if sub.count("0") <= k or sub.count("1") <= k:
                    total += 1
        for step in range(200_000):
            print("trace", step, "." * 90)
        return total
