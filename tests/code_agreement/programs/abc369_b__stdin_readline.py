# problem: abc369_b
# quirk: stdin_readline
# note: sys.stdin.readline() in a loop
import sys

n = int(sys.stdin.readline())
pos = {}
total = 0
for _ in range(n):
    a, s = sys.stdin.readline().split()
    a = int(a)
    if s in pos:
        total += abs(a - pos[s])
    pos[s] = a
print(total)
