# problem: 3555
# quirk: tuple_result
# note: returns a tuple where a list is expected (top level)
class Solution:
    def getFinalState(self, nums: list[int], k: int, multiplier: int) -> tuple[int, ...]:
        nums = list(nums)
        for _ in range(k):
            i = nums.index(min(nums))
            nums[i] *= multiplier
        return tuple(nums)
