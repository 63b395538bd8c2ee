a, b, c = map(int, input().split())
asleep = b <= a < c if b < c else (a >= b or a < c)
print("No" if asleep else "Yes")
