# problem: abc366_b
# quirk: none
# note: correct solution, several output lines
n = int(input())
s = [input().strip() for _ in range(n)]
m = max(len(x) for x in s)
for j in range(m):
    row = "".join(s[n - 1 - i][j] if j < len(s[n - 1 - i]) else "*" for i in range(n))
    print(row.rstrip("*"))
