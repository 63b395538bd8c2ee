# problem: abc369_a
# quirk: none
# note: runtime error: indexes past the end of a list
a, b = map(int, input().split())
candidates = [2 * a - b, 2 * b - a]
if (a + b) % 2 == 0:
    candidates.append((a + b) // 2)
print(len({candidates[i] for i in range(3)}))
