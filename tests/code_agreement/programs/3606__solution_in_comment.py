# problem: 3606
# quirk: solution_named_in_comment
# note: module-level function; the words 'class Solution' appear only in a comment
# No class Solution wrapper: the function below is the whole answer.
def minElement(nums: list[int]) -> int:
    return min(sum(int(d) for d in str(x)) for x in nums)
