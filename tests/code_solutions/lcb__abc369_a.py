a, b = map(int, input().split())
xs = {2 * a - b, 2 * b - a}
if (a + b) % 2 == 0:
    xs.add((a + b) // 2)
print(len(xs))
