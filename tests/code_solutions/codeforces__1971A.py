for _ in range(int(input())):
    x, y = map(int, input().split())
    print(min(x, y), max(x, y))
