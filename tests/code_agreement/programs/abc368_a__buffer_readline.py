# problem: abc368_a
# quirk: buffer_readline_twice
# note: sys.stdin.buffer.readline() twice
import sys

n, k = map(int, sys.stdin.buffer.readline().split())
a = sys.stdin.buffer.readline().split()
print(b" ".join(a[n - k :] + a[: n - k]).decode())
