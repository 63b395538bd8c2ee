# problem: abc365_b
# quirk: open_fd0
# note: open(0).read() reads standard input by file descriptor
data = open(0).read().split()
n = int(data[0])
a = list(map(int, data[1 : 1 + n]))
order = sorted(range(n), key=lambda i: a[i])
print(order[-2] + 1)
