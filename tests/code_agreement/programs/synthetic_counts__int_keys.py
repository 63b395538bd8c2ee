# problem: synthetic_counts
# quirk: int_dict_keys
# note: returns a dict with int keys where str keys are expected
from collections import Counter


class Solution:
    def countValues(self, nums: list[int]) -> dict[int, int]:
        return dict(Counter(nums))
