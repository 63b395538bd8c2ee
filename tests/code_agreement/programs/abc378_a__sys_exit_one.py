# problem: abc378_a
# quirk: sys_exit_nonzero
# note: prints the right answer, then sys.exit(1)
import sys
from collections import Counter

a = input().split()
print(sum(v // 2 for v in Counter(a).values()))
sys.exit(1)
