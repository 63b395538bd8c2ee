# problem: abc376_a
# quirk: readline_then_read
# note: sys.stdin.readline() for the first line, then sys.stdin.read() for the rest
import sys

n, c = map(int, sys.stdin.readline().split())
t = list(map(int, sys.stdin.read().split()))
last = None
candies = 0
for x in t:
    if last is None or x - last >= c:
        candies += 1
        last = x
print(candies)
