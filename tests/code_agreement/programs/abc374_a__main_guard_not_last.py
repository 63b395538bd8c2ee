# problem: abc374_a
# quirk: main_guard_not_last
# note: if __name__ == '__main__': main() followed by another statement
import sys


def main():
    s = sys.stdin.readline().strip()
    print("Yes" if s.endswith("san") else "No")


if __name__ == "__main__":
    main()

sys.stdout.flush()
