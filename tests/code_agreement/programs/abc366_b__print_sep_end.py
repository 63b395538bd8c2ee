# problem: abc366_b
# quirk: print_sep_end
# note: print(*chars, sep='') per row and end='' on the last
n = int(input())
s = [input().strip() for _ in range(n)]
m = max(len(x) for x in s)
rows = []
for j in range(m):
    rows.append([s[n - 1 - i][j] if j < len(s[n - 1 - i]) else "*" for i in range(n)])
    while rows[-1][-1] == "*":
        rows[-1].pop()
for j, row in enumerate(rows):
    print(*row, sep="", end="\n" if j < m - 1 else "")
