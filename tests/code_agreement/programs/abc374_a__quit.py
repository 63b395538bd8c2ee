# problem: abc374_a
# quirk: quit_call
# note: quit() right after printing the answer
s = input().strip()
if s.endswith("san"):
    print("Yes")
    quit()
print("No")
