"""The runnable examples in the docstrings of the CPU-build APIs, keywords, unique, resize_, sparse and nn modules."""

import doctest
import importlib

import pytest

MODULES = [
    "graphgrad.accelerator", "graphgrad.amp.autocast_mode", "graphgrad.amp.grad_scaler", "graphgrad.backends",
    "graphgrad.cuda", "graphgrad.jit", "graphgrad._compile", "graphgrad._constants", "graphgrad._runtime",
    "graphgrad.ops._keywords", "graphgrad.ops.unique", "graphgrad.ops.resize", "graphgrad.sparse",
    "graphgrad.nn.attention", "graphgrad.multiprocessing", "graphgrad.version", "graphgrad.ops.counting",
    "graphgrad.ops._erf", "graphgrad.backends.cuda", "graphgrad.distributed.collectives", "graphgrad.ops.reduce",
    "graphgrad.ops.gamma", "graphgrad.ops.special", "graphgrad.ops._special_kernels", "graphgrad.special",
    "graphgrad.utils._pytree",
    "graphgrad._core.hooks", "graphgrad._core.fp_errors", "graphgrad._size", "graphgrad.nn.parameter",
    "graphgrad.nn.module",
    "graphgrad.nn._module_state", "graphgrad.nn.functional", "graphgrad.nn.functional._conv3d",
    "graphgrad.nn.functional._attention",
    "graphgrad.ops._autocast", "graphgrad._core.layouts", "graphgrad._from_python", "graphgrad.backends._switch",
    "graphgrad.ops._select", "graphgrad._core.allocator", "graphgrad.optim._fused", "graphgrad._core.jit",
    "graphgrad.optim.optimizer",
    "graphgrad.optim.sgd", "graphgrad.optim.adam",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
