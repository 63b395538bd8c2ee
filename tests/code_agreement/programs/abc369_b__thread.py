# problem: abc369_b
# quirk: unjoined_thread
# note: threading.Thread(target=main).start() without join, deep-recursion idiom; main finishes in a few ms
import sys
import threading


def main():
    n = int(input())
    pos = {}

    def walk(i, total):
        if i == n:
            return total
        a, s = input().split()
        a = int(a)
        if s in pos:
            total += abs(a - pos[s])
        pos[s] = a
        return walk(i + 1, total)

    print(walk(0, 0))


sys.setrecursionlimit(1 << 25)
threading.stack_size(1 << 27)
threading.Thread(target=main).start()
