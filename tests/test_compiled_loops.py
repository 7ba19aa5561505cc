"""The optional compiled loops' mechanism (``_core.jit``): split over threads, switches, fallback."""

import threading

import numpy as np
import pytest

import graphgrad as gg
from graphgrad._core import jit


def _square_rows(start, stop, x, out):
    for i in range(start, stop):
        for j in range(x.shape[1]):
            out[i, j] = x[i, j] * x[i, j] + 1.0


def _needs_compiled_loops():
    pytest.importorskip("numba")
    if not jit.ENABLED:
        pytest.skip("GRAPHGRAD_COMPILED_LOOPS=0: the NumPy forms only")


@pytest.fixture
def threads():
    before = gg.get_num_threads()
    yield gg.set_num_threads
    gg.set_num_threads(before)


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_split_gives_the_same_numbers_on_any_thread_count(threads, count):
    _needs_compiled_loops()
    threads(count)
    loops = jit.CompiledLoops(square_rows=_square_rows)
    x = np.random.default_rng(0).standard_normal((301, 700))
    out = np.zeros_like(x)
    assert loops.split("square_rows", 301, x, out, work_per_row=700)  # compiles on one thread
    assert loops.split("square_rows", 301, x, out, work_per_row=700)  # then splits
    np.testing.assert_array_equal(out, x * x + 1.0)


def test_split_from_several_user_threads_at_once(threads):
    _needs_compiled_loops()
    threads(2)
    loops = jit.CompiledLoops(square_rows=_square_rows)
    xs = [np.full((200, 1000), float(i)) for i in range(4)]
    outs = [np.zeros_like(x) for x in xs]
    loops.split("square_rows", 200, xs[0], outs[0], work_per_row=1000)
    workers = [threading.Thread(target=loops.split, args=("square_rows", 200, x, o), kwargs={"work_per_row": 1000})
               for x, o in zip(xs, outs)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for i, o in enumerate(outs):
        assert (o == i * i + 1.0).all()


def test_switched_off_or_broken_loops_leave_the_numpy_form(monkeypatch):
    loops = jit.CompiledLoops(square_rows=_square_rows)
    loops.enabled = False
    x = np.ones((4, 4))
    out = np.zeros_like(x)
    assert not loops.split("square_rows", 4, x, out) and not out.any()
    loops.enabled = True
    monkeypatch.setattr(jit, "ENABLED", False)
    assert not loops("square_rows", 0, 4, x, out) and not out.any()
    monkeypatch.setattr(jit, "ENABLED", True)

    def broken(*args):
        raise RuntimeError("no LLVM here")

    loops._compiled = {"square_rows": broken}
    assert not loops.split("square_rows", 4, x, out) and not out.any() and loops._compiled is False
    big = np.ones((4, jit.MIN_SPLIT))  # parts large enough to run on two threads: the failure is caught there too
    loops._compiled = {"square_rows": broken}
    before = gg.get_num_threads()
    gg.set_num_threads(2)
    try:
        assert not loops.split("square_rows", 4, big, big, work_per_row=jit.MIN_SPLIT)
    finally:
        gg.set_num_threads(before)
    assert loops._compiled is False
