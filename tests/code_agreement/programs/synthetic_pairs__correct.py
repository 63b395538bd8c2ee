# problem: synthetic_pairs
# quirk: none
# note: correct: a list of lists
class Solution:
    def pairUp(self, nums: list[int]) -> list[list[int]]:
        return [[nums[i], nums[i + 1]] for i in range(0, len(nums), 2)]
