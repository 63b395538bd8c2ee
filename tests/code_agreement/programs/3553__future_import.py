# problem: 3553
# quirk: future_import_call
# note: from __future__ import annotations (functional)
from __future__ import annotations


class Solution:
    def checkTwoChessboards(self, coordinate1: str, coordinate2: str) -> bool:
        def color(c: str) -> int:
            return (ord(c[0]) + int(c[1])) % 2

        return color(coordinate1) == color(coordinate2)
