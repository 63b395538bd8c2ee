for _ in range(int(input())):
    input()
    s = input().strip()
    print("YES" if list(s) == sorted(s) else "NO")
