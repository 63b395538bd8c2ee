# problem: 3567
# quirk: module_function_with_solution_class
# note: module-level function next to an empty class Solution stub
class Solution:
    pass


def convertDateToBinary(date: str) -> str:
    return "-".join(bin(int(part))[2:] for part in date.split("-"))
