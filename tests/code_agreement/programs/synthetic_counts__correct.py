# problem: synthetic_counts
# quirk: none
# note: correct: a dict with str keys
from collections import Counter


class Solution:
    def countValues(self, nums: list[int]) -> dict[str, int]:
        return {str(k): v for k, v in Counter(nums).items()}
