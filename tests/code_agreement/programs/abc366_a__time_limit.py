# problem: abc366_a
# quirk: none
# note: time limit: the counting loop never advances its index
n, t, a = map(int, input().split())
counted = 0
i = 0
while i < n:
    counted = t + a
print("Yes" if t > n // 2 or a > n // 2 else "No")
