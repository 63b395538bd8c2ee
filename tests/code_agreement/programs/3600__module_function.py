# problem: 3600
# quirk: module_level_function
# note: a module-level function only, no Solution class anywhere
def kthCharacter(k: int) -> str:
    word = [0]
    while len(word) < k:
        word += [(c + 1) % 26 for c in word]
    return chr(ord("a") + word[k - 1])
