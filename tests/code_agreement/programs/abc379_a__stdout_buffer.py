# problem: abc379_a
# quirk: stdout_buffer_write
# note: sys.stdout.buffer.write of the answer
import sys

a, b, c = input().strip()
sys.stdout.buffer.write(f"{b}{c}{a} {c}{a}{b}\n".encode())
