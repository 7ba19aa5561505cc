"""The ground floor: state and helpers every other part of graphgrad uses, importing nothing from graphgrad.

- ``modes``: grad mode, inference mode and the engine's "inside backward" flag, one set per thread.
- ``sites``: which files are graphgrad's own, and the walk up the stack to the user's line.
- ``hooks``: ``RemovableHandle``, the handle every ``register_*_hook`` returns.
- ``allocator``: glibc's malloc set to keep freed array memory (fewer page faults per training step).
- ``jit``: plain loops compiled by numba when it is installed (the ``fast`` extra), else nothing.
- ``layouts``: ``graphgrad.strided`` and how an op meets an operand of another layout (sparse COO).
"""
