# problem: 3579
# quirk: numpy_scalar_result
# note: returns a numpy.int64 where an int is expected
from itertools import permutations

import numpy as np


class Solution:
    def maxGoodNumber(self, nums: list[int]) -> int:
        values = [int("".join(bin(x)[2:] for x in p), 2) for p in permutations(nums)]
        return np.array(values, dtype=np.int64).max()
