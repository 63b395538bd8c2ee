n, k = map(int, input().split())
a = input().split()
print(" ".join(a[n - k :] + a[: n - k]))
