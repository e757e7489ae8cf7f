"""The bundled digits and their train/test split, as examples/digits_data.hpp makes them.

    from digits_split import load_digits, test_rows
    pixels, labels = load_digits()          # 1797 × 64 in [0, 1] (pixels / 16), 1797 labels
    test = test_rows()                      # the 450 sorted test rows of split_digits

Only numpy is needed.
"""

import os

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
DEFAULT_SEED = 0x5EED20240A11C0DE  # probust::default_seed
MASK = (1 << 64) - 1


def load_digits(path=os.path.join(DATA, "digits.csv")):
    """(pixels, labels): the images of digits.csv as float64 rows scaled to [0, 1], and
    their labels as int64, as load_digits in examples/digits_data.hpp."""
    data = np.loadtxt(path, delimiter=",")
    return data[:, :64] / 16.0, data[:, 64].astype(np.int64)


def test_rows(n_images=1797, test_size=450, seed=DEFAULT_SEED):
    """The sorted test rows of split_digits (examples/digits_data.hpp): a Fisher-Yates
    permutation drawn with probust's xoshiro256** seeded by splitmix64, first test_size."""
    def mix64(z):
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    s = [mix64((seed + 0x9E3779B97F4A7C15 * (i + 1)) & MASK) for i in range(4)]

    def uniform_open01():
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return ((result >> 12) + 0.5) * 2.0 ** -52

    order = list(range(n_images))
    for i in range(n_images - 1, 0, -1):
        j = min(int(uniform_open01() * (i + 1)), i)
        order[i], order[j] = order[j], order[i]
    return sorted(order[:test_size])
