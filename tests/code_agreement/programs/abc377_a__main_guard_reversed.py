# problem: abc377_a
# quirk: main_guard_reversed
# note: if '__main__' == __name__: main() as the last statement
def main():
    s = input().strip()
    print("Yes" if sorted(s) == list("ABC") else "No")


if "__main__" == __name__:
    main()
