"""Keep CPython's full (generation-2) garbage collections from stalling the GUI.

With torch, MAX, pybullet and Qt loaded the process holds millions of long-lived objects, and every
automatic generation-2 collection walks all of them: 90-130 ms each, measured during a DeepMimic run on a
2-core machine, a visible stall. `settle()` moves everything alive now into the permanent generation
(`gc.freeze`, O(1)), so later collections walk only what was allocated since. It runs when a background
job has finished, which is when lazy imports and model loads add long-lived objects. The price: cyclic
garbage that exists at that moment is never freed (it was unreachable already); reference-counted garbage,
almost all of it, is freed as usual.
"""
import gc


def settle() -> None:
    gc.freeze()
