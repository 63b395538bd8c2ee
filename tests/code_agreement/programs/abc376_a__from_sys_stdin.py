# problem: abc376_a
# quirk: from_sys_stdin_readline
# note: from sys import stdin at module level, then stdin.readline()
from sys import stdin

n, c = map(int, stdin.readline().split())
t = list(map(int, stdin.readline().split()))
last = None
candies = 0
for x in t:
    if last is None or x - last >= c:
        candies += 1
        last = x
print(candies)
