# problem: synthetic_pairs
# quirk: nested_tuple_result
# note: returns a list of tuples where a list of lists is expected
class Solution:
    def pairUp(self, nums: list[int]) -> list[tuple[int, int]]:
        return list(zip(nums[::2], nums[1::2]))
