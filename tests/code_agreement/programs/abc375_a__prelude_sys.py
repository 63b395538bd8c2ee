# problem: abc375_a
# quirk: prelude_missing_import
# note: uses sys.stdin without importing sys
n = int(sys.stdin.readline())
s = sys.stdin.readline().strip()
print(sum(1 for i in range(n - 2) if s[i : i + 3] == "#.#"))
