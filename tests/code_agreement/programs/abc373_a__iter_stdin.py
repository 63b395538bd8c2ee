# problem: abc373_a
# quirk: stdin_iterate
# note: for line in sys.stdin
import sys

count = 0
for i, line in enumerate(sys.stdin, start=1):
    if len(line.strip()) == i:
        count += 1
print(count)
