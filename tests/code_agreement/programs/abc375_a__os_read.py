# problem: abc375_a
# quirk: os_read_fd0
# note: fast-input idiom: io.BytesIO(os.read(0, os.fstat(0).st_size)).readline
import io
import os

input = io.BytesIO(os.read(0, os.fstat(0).st_size)).readline
n = int(input())
s = input().strip()
print(sum(1 for i in range(n - 2) if s[i : i + 3] == b"#.#"))
