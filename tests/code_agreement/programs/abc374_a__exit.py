# problem: abc374_a
# quirk: exit_after_output
# note: exit() right after printing the answer
s = input().strip()
if s.endswith("san"):
    print("Yes")
    exit()
print("No")
