# problem: abc373_a
# quirk: stdin_readlines
# note: sys.stdin.readlines(), each line stripped
import sys

lines = sys.stdin.readlines()
print(sum(1 for i in range(12) if len(lines[i].strip()) == i + 1))
