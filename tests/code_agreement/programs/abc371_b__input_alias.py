# problem: abc371_b
# quirk: input_alias_readline
# note: input = sys.stdin.readline at module level
import sys

input = sys.stdin.readline
n, m = map(int, input().split())
named = set()
for _ in range(m):
    a, b = input().split()
    if b == "M" and a not in named:
        named.add(a)
        print("Yes")
    else:
        print("No")
