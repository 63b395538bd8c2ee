# problem: 3526
# quirk: none
# note: correct solution (same as tests/code_solutions)
class Solution:
    def minFlips(self, grid: list[list[int]]) -> int:
        rows = sum(r[j] != r[-1 - j] for r in grid for j in range(len(r) // 2))
        cols_t = [list(c) for c in zip(*grid, strict=True)]
        cols = sum(c[i] != c[-1 - i] for c in cols_t for i in range(len(c) // 2))
        return min(rows, cols)
