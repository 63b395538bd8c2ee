# problem: 3528
# quirk: solution_instance_reused
# note: per-instance memo keyed by index (stale when one instance serves several tests)
class Solution:
    def __init__(self) -> None:
        self.memo: dict[int, int] = {}

    def findMaximumScore(self, nums: list[int]) -> int:
        n = len(nums)

        def best(i: int) -> int:
            if i == n - 1:
                return 0
            if i not in self.memo:
                self.memo[i] = max((j - i) * nums[i] + best(j) for j in range(i + 1, n))
            return self.memo[i]

        return best(0)
