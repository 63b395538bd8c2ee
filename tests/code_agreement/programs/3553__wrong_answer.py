# problem: 3553
# quirk: none
# note: wrong answer: the colour test is inverted
class Solution:
    def checkTwoChessboards(self, coordinate1: str, coordinate2: str) -> bool:
        def color(c: str) -> int:
            return (ord(c[0]) + int(c[1])) % 2

        return color(coordinate1) != color(coordinate2)
