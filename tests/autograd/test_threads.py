"""Grad mode and inference mode are thread-local, and backward runs concurrently on independent graphs.

PyTorch keeps grad mode and inference mode per thread (a new thread starts recording) and lets threads
run backward at the same time on graphs they don't share. Anomaly mode is the exception: PyTorch keeps
it process-wide, and so does graphgrad.
"""

import sys
import threading

import numpy as np
import pytest

import graphgrad as gg

N_THREADS = 4
N_STEPS = 25


@pytest.fixture(autouse=True)
def _switch_often():
    # Make the interpreter switch threads every few microseconds, so that interleavings inside ops happen.
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _run_threads(target, n=N_THREADS):
    """Run ``target(i)`` in ``n`` threads started together; re-raise the first exception any of them hit."""
    barrier = threading.Barrier(n)
    errors, results = [], [None] * n

    def body(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as e:  # noqa: BLE001 - handed back to the test's thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def _train_steps(seed, n_steps=N_STEPS):
    """A small network's forward + backward, ``n_steps`` times on fresh graphs; the gradients of each step."""
    rng = np.random.default_rng(seed)
    w1 = gg.tensor(rng.standard_normal((5, 8)), dtype=gg.float64, requires_grad=True)
    w2 = gg.tensor(rng.standard_normal((8, 3)), dtype=gg.float64, requires_grad=True)
    out = []
    for step in range(n_steps):
        x = gg.tensor(rng.standard_normal((6, 5)))
        h = (x @ w1).tanh()
        h = h * h.sigmoid()  # a node whose input is used twice
        y = h[:, :4].sum(0)  # a view
        loss = (h @ w2).exp().mean() + y.pow(2).sum()
        if step % 3 == 0:
            (g1,) = gg.autograd.grad(loss, [w1], retain_graph=True)  # the other sink, on the same graph
            out.append(g1.numpy().copy())
        loss.backward()
        with gg.no_grad():
            assert not (w1 * 2).requires_grad
        out.append(w1.grad.numpy().copy())
        out.append(w2.grad.numpy().copy())
        w1.grad = w2.grad = None
    return out


def test_concurrent_backward_matches_single_threaded():
    expected = [_train_steps(seed) for seed in range(N_THREADS)]
    got = _run_threads(_train_steps)
    for exp, res in zip(expected, got):
        assert len(exp) == len(res)
        for e, r in zip(exp, res):
            np.testing.assert_array_equal(r, e)
    assert gg.is_grad_enabled()


def test_threads_toggling_no_grad_beside_threads_training():
    expected = [_train_steps(seed) for seed in range(2)]

    def body(i):
        if i < 2:
            return _train_steps(i)
        x = gg.ones(3, requires_grad=True)
        for _ in range(200):
            with gg.no_grad():
                assert not gg.is_grad_enabled()
                assert not (x * 2).requires_grad
            with gg.inference_mode():
                assert (x * 2).is_inference()
            assert gg.is_grad_enabled()
            assert (x * 2).requires_grad
        return None

    got = _run_threads(body)
    for exp, res in zip(expected, got[:2]):
        for e, r in zip(exp, res):
            np.testing.assert_array_equal(r, e)


@pytest.mark.parametrize("mode", ["no_grad", "set_grad_enabled", "inference_mode"])
def test_no_grad_in_one_thread_does_not_stop_recording_in_another(mode):
    entered, done = threading.Event(), threading.Event()
    enter = {"no_grad": gg.no_grad, "set_grad_enabled": lambda: gg.set_grad_enabled(False),
             "inference_mode": gg.inference_mode}[mode]
    seen = {}

    def other():
        with enter():
            seen["other_enabled"] = gg.is_grad_enabled()
            entered.set()
            done.wait(5)

    t = threading.Thread(target=other)
    t.start()
    try:
        assert entered.wait(5)
        x = gg.ones(2, requires_grad=True)
        y = x * 3
        assert gg.is_grad_enabled() and not gg.is_inference_mode_enabled()
        assert y.requires_grad and y.grad_fn is not None
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    finally:
        done.set()
        t.join()
    assert seen["other_enabled"] is False


def test_a_new_thread_starts_in_grad_mode():
    seen = []
    with gg.no_grad():
        t = threading.Thread(target=lambda: seen.append((gg.is_grad_enabled(), (gg.ones(1, requires_grad=True) * 2)
                                                         .requires_grad)))
        t.start()
        t.join()
        assert not gg.is_grad_enabled()
    assert seen == [(True, True)]


def test_backward_in_one_thread_leaves_the_others_mode_alone():
    # The engine turns recording off while derivatives run (unless create_graph): only in its own thread.
    def body(i):
        x = gg.ones(4, requires_grad=True)
        for _ in range(100):
            if i % 2:
                (x * x).sum().backward()
            else:
                assert (x * 2).requires_grad and gg.is_grad_enabled()
        return True

    assert all(_run_threads(body))


def test_anomaly_mode_is_process_wide_as_in_pytorch(torch_ref):
    def seen_in_a_thread(lib):
        seen = []
        t = threading.Thread(target=lambda: seen.append(lib.is_anomaly_enabled()))
        with lib.autograd.set_detect_anomaly(True):
            t.start()
            t.join()
        return seen[0]

    assert seen_in_a_thread(gg) == seen_in_a_thread(torch_ref) is True
    assert not gg.is_anomaly_enabled()


def test_threads_backward_through_a_shared_leaf_each_add_their_gradient():
    """Hogwild-style: graphs of their own over one shared parameter; every gradient lands in its .grad (NumPy
    lets go of the interpreter lock while it adds arrays this large, so the sum into .grad takes a lock)."""
    w = gg.zeros(200_000, dtype=gg.float64, requires_grad=True)

    def body(i):
        for _ in range(10):
            ((w + 1.0) * float(i + 1)).sum().backward()
        return True

    _run_threads(body)
    expected = 10 * sum(range(1, N_THREADS + 1))
    np.testing.assert_array_equal(w.grad.numpy(), np.full(w.shape, float(expected)))
