# problem: abc376_a
# quirk: numpy_import
# note: stdin program using numpy
import numpy as np

n, c = map(int, input().split())
t = np.array(input().split(), dtype=np.int64)
last = -(10**9)
candies = 0
for x in t:
    if x - last >= c:
        candies += 1
        last = x
print(int(candies))
