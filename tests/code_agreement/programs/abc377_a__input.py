# problem: abc377_a
# quirk: input_builtin
# note: one input() call
print("Yes" if sorted(input().strip()) == ["A", "B", "C"] else "No")
