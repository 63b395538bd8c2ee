# problem: abc371_b
# quirk: readlines_trailing_empty
# note: sys.stdin.readlines() and a split of every line after the first
import sys

lines = sys.stdin.readlines()
named = set()
for line in lines[1:]:
    a, b = line.split()
    if b == "M" and a not in named:
        named.add(a)
        print("Yes")
    else:
        print("No")
