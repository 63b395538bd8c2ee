# problem: abc369_b
# quirk: unjoined_thread_slow
# note: as the thread idiom, but main computes for ~50 ms after reading (longer than the GIL switch interval)
import sys
import threading


def main():
    n = int(input())
    rows = [input().split() for _ in range(n)]
    warmup = sum(i * i for i in range(300_000))
    pos = {}
    total = 0
    for a, s in rows:
        if s in pos:
            total += abs(int(a) - pos[s])
        pos[s] = int(a)
    print(total + warmup * 0)


sys.setrecursionlimit(1 << 25)
threading.stack_size(1 << 27)
threading.Thread(target=main).start()
