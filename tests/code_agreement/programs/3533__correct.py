# problem: 3533
# quirk: none
# note: correct solution (same as tests/code_solutions)
class Solution:
    def finalPositionOfSnake(self, n: int, commands: list[str]) -> int:
        step = {"UP": (-1, 0), "DOWN": (1, 0), "LEFT": (0, -1), "RIGHT": (0, 1)}
        i = j = 0
        for c in commands:
            di, dj = step[c]
            i, j = i + di, j + dj
        return i * n + j
