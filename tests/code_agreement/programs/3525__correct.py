# problem: 3525
# quirk: none
# note: correct solution (same as tests/code_solutions)
class Solution:
    def maxEnergyBoost(self, energyDrinkA: list[int], energyDrinkB: list[int]) -> int:
        a2 = b2 = 0  # best totals ending two hours ago
        a1, b1 = energyDrinkA[0], energyDrinkB[0]
        for x, y in zip(energyDrinkA[1:], energyDrinkB[1:], strict=True):
            a1, b1, a2, b2 = x + max(a1, b2), y + max(b1, a2), a1, b1
        return max(a1, b1)
