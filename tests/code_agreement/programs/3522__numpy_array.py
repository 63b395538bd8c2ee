# problem: 3522
# quirk: numpy_array_result
# note: returns a numpy array where a list is expected
import numpy as np


class Solution:
    def resultsArray(self, nums: list[int], k: int) -> list[int]:
        a = np.array(nums, dtype=np.int64)
        out = np.full(len(nums) - k + 1, -1, dtype=np.int64)
        for i in range(len(nums) - k + 1):
            window = a[i : i + k]
            if np.all(np.diff(window) == 1):
                out[i] = window[-1]
        return out
