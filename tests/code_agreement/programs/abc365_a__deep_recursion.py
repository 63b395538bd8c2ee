# problem: abc365_a
# quirk: prelude_recursionlimit
# note: recursion ~2000 deep without raising the recursion limit
def days_before(y):
    if y == 0:
        return 0
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return days_before(y - 1) + (366 if leap else 365)


y = int(input())
print(days_before(y) - days_before(y - 1))
