# problem: abc373_a
# quirk: from_sys_stdin_newline
# note: from sys import stdin, then len(stdin.readline()) without stripping the newline
from sys import stdin

count = 0
for i in range(1, 13):
    if len(stdin.readline()) == i:
        count += 1
print(count)
