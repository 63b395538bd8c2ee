# problem: abc368_b
# quirk: stdin_read_split
# note: sys.stdin.read().split() once
import sys

data = sys.stdin.read().split()
n = int(data[0])
a = list(map(int, data[1 : 1 + n]))
ops = 0
while sum(1 for x in a if x > 0) > 1:
    a.sort(reverse=True)
    a[0] -= 1
    a[1] -= 1
    ops += 1
print(ops)
