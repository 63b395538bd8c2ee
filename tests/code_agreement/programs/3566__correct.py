# problem: 3566
# quirk: none
# note: correct solution returning a list of strings
class Solution:
    def stringSequence(self, target: str) -> list[str]:
        out = []
        screen = ""
        for ch in target:
            screen += "a"
            out.append(screen)
            while screen[-1] != ch:
                screen = screen[:-1] + chr(ord(screen[-1]) + 1)
                out.append(screen)
        return out
