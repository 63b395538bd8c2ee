# problem: 3485
# quirk: prelude_missing_import_call
# note: uses inf from math without importing it
class Solution:
    def maxPossibleScore(self, start: list[int], d: int) -> int:
        start = sorted(start)

        def feasible(gap: int) -> bool:
            prev = -inf
            for s in start:
                x = max(s, prev + gap)
                if x > s + d:
                    return False
                prev = x
            return True

        lo, hi = 0, (start[-1] + d - start[0]) // max(1, len(start) - 1) + 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if feasible(mid):
                lo = mid
            else:
                hi = mid - 1
        return lo
