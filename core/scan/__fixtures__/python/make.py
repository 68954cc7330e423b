"""Writes the files in this folder with CPython's own pickle and numpy, so the
scanner is tested against real writers, not only hand-made bytes.
Run from this folder: python3 make.py (needs numpy). Nothing here is ever loaded."""
import collections
import os
import pickle

import numpy as np


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


for protocol in range(0, 6):
    with open(f"evil-p{protocol}.pkl", "wb") as f:
        pickle.dump({"model": Evil(), "step": 3}, f, protocol=protocol)

state = collections.OrderedDict(
    [("epoch", 3), ("lr", 0.001), ("names", ["a", "b"]), ("blob", bytearray(b"xyz")), ("set", {1, 2})]
)
for protocol in range(0, 6):
    with open(f"state-p{protocol}.pkl", "wb") as f:
        pickle.dump(state, f, protocol=protocol)

np.save("floats.npy", np.arange(6, dtype="<f4").reshape(2, 3))
np.save("objects.npy", np.array([{"a": 1}, "text", None], dtype=object), allow_pickle=True)
np.savez("arrays.npz", x=np.zeros(3), y=np.ones((2, 2), dtype=np.int64))
np.savez_compressed("compressed.npz", x=np.zeros(100000))
