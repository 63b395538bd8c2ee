# problem: 3535
# quirk: prelude_missing_import_call
# note: the starter code's List annotation without importing typing
from itertools import accumulate


class Solution:
    def countOfPairs(self, nums: List[int]) -> int:
        mod = 10**9 + 7
        dp = [1] * (nums[0] + 1)
        for i in range(1, len(nums)):
            rise = max(0, nums[i] - nums[i - 1])
            prefix = list(accumulate(dp))
            dp = [prefix[min(v - rise, len(prefix) - 1)] % mod if v >= rise else 0 for v in range(nums[i] + 1)]
        return sum(dp) % mod
