for _ in range(int(input())):
    n = int(input())
    a = list(map(int, input().split()))
    b = list(map(int, input().split()))
    i = 0
    for limit in b:
        if a[i] <= limit:
            i += 1
    print(n - i)
