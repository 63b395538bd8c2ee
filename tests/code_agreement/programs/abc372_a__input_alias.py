# problem: abc372_a
# quirk: input_alias_readline
# note: input = sys.stdin.readline, newline stripped by hand
import sys

input = sys.stdin.readline
s = input().rstrip("\n")
print(s.replace(".", ""))
