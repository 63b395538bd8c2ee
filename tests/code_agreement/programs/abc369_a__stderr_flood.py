# problem: abc369_a
# quirk: stderr_flood
# note: stdin program writing ~20 MB of debug output to stderr, then the right answer
import sys

a, b = map(int, input().split())
for step in range(200_000):
    print("trace", step, "." * 90, file=sys.stderr)
xs = {2 * a - b, 2 * b - a}
if (a + b) % 2 == 0:
    xs.add((a + b) // 2)
print(len(xs))
