# problem: abc365_b
# quirk: stdin_readline
# note: sys.stdin.readline() called directly
import sys

n = int(sys.stdin.readline())
a = list(map(int, sys.stdin.readline().split()))
order = sorted(range(n), key=lambda i: a[i])
print(order[-2] + 1)
