# problem: abc371_a
# quirk: stdout_write
# note: sys.stdout.write of the answer
import sys

ab, ac, bc = input().split()
older = {"A": 0, "B": 0, "C": 0}
older["A" if ab == ">" else "B"] += 1
older["A" if ac == ">" else "C"] += 1
older["B" if bc == ">" else "C"] += 1
sys.stdout.write([k for k, v in older.items() if v == 1][0] + "\n")
