# problem: abc368_b
# quirk: prelude_missing_import
# note: uses heappush / heappop without importing heapq
n = int(input())
heap = []
for x in map(int, input().split()):
    heappush(heap, -x)
ops = 0
while len(heap) > 1:
    a, b = -heappop(heap), -heappop(heap)
    ops += 1
    for y in (a - 1, b - 1):
        if y > 0:
            heappush(heap, -y)
print(ops)
