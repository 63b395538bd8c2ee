s = input().strip()
if "." in s:
    s = s.rstrip("0").rstrip(".")
print(s)
