# problem: abc370_a
# quirk: os_write_fd1
# note: os.write(1, ...) of the answer
import os

l, r = map(int, input().split())
answer = "Yes" if (l, r) == (1, 0) else "No" if (l, r) == (0, 1) else "Invalid"
os.write(1, (answer + "\n").encode())
