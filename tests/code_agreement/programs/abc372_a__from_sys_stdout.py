# problem: abc372_a
# quirk: from_sys_stdout
# note: from sys import stdin, stdout at module level, then stdout.write
from sys import stdin, stdout

s = stdin.readline().strip()
stdout.write(s.replace(".", "") + "\n")
