# problem: abc377_a
# quirk: sys_exit_zero
# note: sys.exit(0) right after printing the answer
import sys

s = input().strip()
if sorted(s) == list("ABC"):
    print("Yes")
    sys.exit(0)
print("No")
