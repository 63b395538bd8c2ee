# problem: abc365_b
# quirk: none
# note: wrong answer: prints the largest element's index instead of the second largest
n = int(input())
a = list(map(int, input().split()))
order = sorted(range(n), key=lambda i: a[i])
print(order[-1] + 1)
