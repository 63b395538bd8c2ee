# problem: abc365_a
# quirk: future_import
# note: from __future__ import annotations (stdin)
from __future__ import annotations


def days(y: int) -> int:
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return 366 if leap else 365


print(days(int(input())))
