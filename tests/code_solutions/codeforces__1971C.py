for _ in range(int(input())):
    a, b, c, d = map(int, input().split())
    lo, hi = sorted((a, b))
    print("YES" if (lo < c < hi) != (lo < d < hi) else "NO")
