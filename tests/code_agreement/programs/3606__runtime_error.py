# problem: 3606
# quirk: none
# note: runtime error: indexes past the end of the digit sums
class Solution:
    def minElement(self, nums: list[int]) -> int:
        sums = [sum(int(d) for d in str(x)) for x in nums]
        return min(sums[i] for i in range(len(nums) + 1))
