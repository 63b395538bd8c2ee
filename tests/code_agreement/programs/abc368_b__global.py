# problem: abc368_b
# quirk: global_in_helper
# note: module-level counter updated through `global` in a helper
ops = 0


def step(a):
    global ops
    a.sort(reverse=True)
    a[0] -= 1
    a[1] -= 1
    ops += 1


n = int(input())
a = list(map(int, input().split()))
while sum(1 for x in a if x > 0) > 1:
    step(a)
print(ops)
