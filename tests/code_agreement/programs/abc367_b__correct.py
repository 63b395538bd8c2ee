# problem: abc367_b
# quirk: none
# note: correct solution on decimal strings
s = input().strip()
if "." in s:
    s = s.rstrip("0").rstrip(".")
print(s)
