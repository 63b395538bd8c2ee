# problem: abc368_a
# quirk: input_builtin
# note: two input() calls, print(*list)
n, k = map(int, input().split())
a = input().split()
print(*(a[n - k :] + a[: n - k]))
