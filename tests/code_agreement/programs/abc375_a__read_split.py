# problem: abc375_a
# quirk: stdin_read_split
# note: sys.stdin.read().split() once
import sys

data = sys.stdin.read().split()
n, s = int(data[0]), data[1]
print(sum(1 for i in range(n - 2) if s[i : i + 3] == "#.#"))
