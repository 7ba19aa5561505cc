"""nn.attention.sdpa_kernel and backends.cuda.sdp_kernel choose scaled_dot_product_attention's kernels as in
PyTorch: the same switches flip, the CPU's kernels (flash, math) give the same numbers and gradients, and with
neither enabled attention fails with PyTorch's error."""

import warnings

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.nn.attention import SDPBackend, sdpa_kernel

SWITCHES = ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled", "cudnn_sdp_enabled")

SELECTIONS = [
    "B.MATH", "B.FLASH_ATTENTION", "B.EFFICIENT_ATTENTION", "[B.CUDNN_ATTENTION]",
    "[B.MATH, B.EFFICIENT_ATTENTION]", "[B.FLASH_ATTENTION, B.MATH, B.FLASH_ATTENTION]", "[]",
]


def _attention(lib, selection, arrays, **kwargs):
    """Switch states, then the attention's output and query gradient (or the error) inside ``selection``."""
    B = lib.nn.attention.SDPBackend
    with lib.nn.attention.sdpa_kernel(eval(selection, {"B": B})):
        flags = tuple(getattr(lib.backends.cuda, s)() for s in SWITCHES)
        q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PyTorch warns why its fused kernels were passed over
                out = lib.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs)
        except RuntimeError as e:
            return flags, str(e)
        out.sum().backward()
    return flags, out.detach().numpy(), q.grad.numpy()


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("is_causal", [False, True])
def test_kernel_selection_as_pytorch(torch_ref, selection, is_causal):
    arrays = [np.random.default_rng(0).standard_normal((2, 2, 4, 8)).astype(np.float32) for _ in range(3)]
    mine = _attention(gg, selection, arrays, is_causal=is_causal)
    theirs = _attention(torch_ref, selection, arrays, is_causal=is_causal)
    assert mine[0] == theirs[0]
    if isinstance(theirs[1], str):
        assert mine[1:] == theirs[1:]
    else:
        for a, b in zip(mine[1:], theirs[1:]):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    after = tuple(getattr(gg.backends.cuda, s)() for s in SWITCHES)
    assert after == (True,) * 4  # all enabled again after the block


def test_previous_selection_restored_when_nested(torch_ref):
    for lib in (gg, torch_ref):
        B = lib.nn.attention.SDPBackend
        with lib.nn.attention.sdpa_kernel([B.MATH, B.FLASH_ATTENTION]):
            with lib.nn.attention.sdpa_kernel(B.EFFICIENT_ATTENTION, set_priority=True):
                assert lib.backends.cuda.mem_efficient_sdp_enabled()
            assert (lib.backends.cuda.math_sdp_enabled(), lib.backends.cuda.flash_sdp_enabled(),
                    lib.backends.cuda.mem_efficient_sdp_enabled()) == (True, True, False)


def test_backend_enum_and_bad_argument(torch_ref):
    theirs = torch_ref.nn.attention.SDPBackend
    assert {name: int(v) for name, v in SDPBackend.__members__.items()} == \
        {name: int(v) for name, v in theirs.__members__.items()}
    assert repr(SDPBackend.MATH) == repr(theirs.MATH)
    for lib in (gg, torch_ref):
        with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend or a list of "
                                                 "SDPBackend instances, got str"):
            with lib.nn.attention.sdpa_kernel("MATH"):
                pass


def test_deprecated_sdp_kernel_warns_and_switches(torch_ref):
    for lib in (gg, torch_ref):
        with pytest.warns(FutureWarning, match=r"`torch.backends.cuda.sdp_kernel\(\)` is deprecated"):
            with lib.backends.cuda.sdp_kernel(enable_flash=False, enable_mem_efficient=False):
                assert (lib.backends.cuda.flash_sdp_enabled(), lib.backends.cuda.math_sdp_enabled(),
                        lib.backends.cuda.cudnn_sdp_enabled()) == (False, True, True)
        assert lib.backends.cuda.flash_sdp_enabled()


def test_sdpa_kernel_doc_example():
    q = gg.ones(1, 2, 3, 4)
    with sdpa_kernel(SDPBackend.MATH):
        assert gg.nn.functional.scaled_dot_product_attention(q, q, q).shape == (1, 2, 3, 4)
