# problem: 3528
# quirk: numpy_import
# note: functional solution using numpy, returns a Python int
import numpy as np


class Solution:
    def findMaximumScore(self, nums: list[int]) -> int:
        prefix_max = np.maximum.accumulate(np.array(nums[:-1], dtype=np.int64))
        return int(prefix_max.sum())
