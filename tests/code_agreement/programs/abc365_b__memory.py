# problem: abc365_b
# quirk: memory_1200mb
# note: keeps a 150M-element list (~1.2 GB) alive, then prints the right answer
n = int(input())
a = list(map(int, input().split()))
scratch = [0] * 150_000_000
order = sorted(range(n), key=lambda i: a[i])
scratch[order[-2]] = 1
print(scratch.index(1) + 1)
