# problem: abc367_a
# quirk: main_guard_last
# note: if __name__ == '__main__': main() as the last statement
def main():
    a, b, c = map(int, input().split())
    asleep = b <= a < c if b < c else (a >= b or a < c)
    print("No" if asleep else "Yes")


if __name__ == "__main__":
    main()
