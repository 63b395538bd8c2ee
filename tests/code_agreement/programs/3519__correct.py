# problem: 3519
# quirk: none
# note: correct solution (same as tests/code_solutions)
from collections import Counter


class Solution:
    def winningPlayerCount(self, n: int, pick: list[list[int]]) -> int:
        counts = Counter((x, y) for x, y in pick)
        winners = {x for (x, _), c in counts.items() if c > x}
        return len(winners)
