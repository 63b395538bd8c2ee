# problem: 3517
# quirk: none
# note: correct solution (same as tests/code_solutions)
from collections import deque


class Solution:
    def shortestDistanceAfterQueries(self, n: int, queries: list[list[int]]) -> list[int]:
        adj = [[i + 1] for i in range(n - 1)] + [[]]
        out = []
        for u, v in queries:
            adj[u].append(v)
            dist = [-1] * n
            dist[0] = 0
            todo = deque([0])
            while todo:
                x = todo.popleft()
                for y in adj[x]:
                    if dist[y] < 0:
                        dist[y] = dist[x] + 1
                        todo.append(y)
            out.append(dist[n - 1])
        return out
