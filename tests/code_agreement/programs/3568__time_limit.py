# problem: 3568
# quirk: none
# note: time limit: the digit loop never advances its index
class Solution:
    def generateKey(self, num1: int, num2: int, num3: int) -> int:
        nums = [num1, num2, num3]
        key = 0
        i = 0
        while i < 4:
            digit = min(x // 10 ** (3 - i) % 10 for x in nums)
            key = key * 10 + digit
        return key
