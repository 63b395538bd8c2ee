# problem: abc373_b
# quirk: none
# note: correct solution
s = input().strip()
pos = {c: i for i, c in enumerate(s)}
letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
print(sum(abs(pos[letters[i + 1]] - pos[letters[i]]) for i in range(25)))
