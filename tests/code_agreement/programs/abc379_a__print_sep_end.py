# problem: abc379_a
# quirk: print_sep_end
# note: print with sep and end
a, b, c = input().strip()
print(b + c + a, c + a + b, sep=" ", end="\n")
