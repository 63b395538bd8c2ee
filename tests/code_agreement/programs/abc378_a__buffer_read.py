# problem: abc378_a
# quirk: stdin_buffer_read_split
# note: sys.stdin.buffer.read().split() on input without a final newline
import sys
from collections import Counter

a = sys.stdin.buffer.read().split()
print(sum(v // 2 for v in Counter(a).values()))
