# problem: abc371_b
# quirk: prelude_missing_import
# note: uses defaultdict without importing it
n, m = map(int, input().split())
boys = defaultdict(int)
for _ in range(m):
    a, b = input().split()
    if b == "M":
        boys[a] += 1
        print("Yes" if boys[a] == 1 else "No")
    else:
        print("No")
