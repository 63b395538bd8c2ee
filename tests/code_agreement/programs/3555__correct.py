# problem: 3555
# quirk: none
# note: correct solution (same as tests/code_solutions)
class Solution:
    def getFinalState(self, nums: list[int], k: int, multiplier: int) -> list[int]:
        nums = list(nums)
        for _ in range(k):
            i = nums.index(min(nums))
            nums[i] *= multiplier
        return nums
