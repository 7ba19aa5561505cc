"""graphgrad.multiprocessing: Python's multiprocessing re-exported, PyTorch's sharing-strategy switches, and
spawn/start_processes running functions in child processes and passing their errors on, as PyTorch's do."""

import multiprocessing
import os
import sys

import pytest

import graphgrad
import graphgrad.multiprocessing as mp


def _write_rank(i, folder, text):
    with open(os.path.join(folder, f"rank{i}.txt"), "w") as f:
        f.write(f"{text} {i}")


def _raise_on_rank_one(i):
    if i == 1:
        raise ValueError("boom in the child")


def _exit_with_three(i):
    sys.exit(3)


def test_reexports_the_standard_module_like_pytorch(torch_ref):
    for name in multiprocessing.__all__:
        assert getattr(mp, name) is getattr(multiprocessing, name)
    ours = {n for n in dir(mp) if not n.startswith("_")}
    theirs = {n for n in dir(torch_ref.multiprocessing) if not n.startswith("_")}
    missing = theirs - ours - {"torch", "reductions", "init_reductions", "SpawnContext", "ENV_VAR_PARALLEL_START"}
    assert not missing
    assert graphgrad.multiprocessing is mp


def test_sharing_strategies_as_pytorch(torch_ref):
    tmp = torch_ref.multiprocessing
    assert mp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    assert mp.get_sharing_strategy() == tmp.get_sharing_strategy()
    for lib in (mp, tmp):
        with pytest.raises(AssertionError) as caught:
            lib.set_sharing_strategy("shared_dreams")
        lib.set_sharing_strategy("file_system")
        assert lib.get_sharing_strategy() == "file_system"
        lib.set_sharing_strategy("file_descriptor")
        assert str(caught.value).startswith("invalid sharing strategy 'shared_dreams', expected one of")


def test_spawn_runs_fn_with_its_index(tmp_path):
    with pytest.warns(FutureWarning, match="This method only supports start_method=spawn"):  # and spawns
        assert mp.spawn(_write_rank, args=(str(tmp_path), "hello"), nprocs=2, start_method="fork") is None
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["hello 0", "hello 1"]


def test_a_childs_exception_comes_back_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException) as caught:
        mp.spawn(_raise_on_rank_one, nprocs=2)
    assert caught.value.error_index == 1
    message = str(caught.value)
    assert message.startswith("\n\n-- Process 1 terminated with the following error:\nTraceback")
    assert "ValueError: boom in the child" in message


def test_a_child_that_exits_gives_its_code():
    context = mp.start_processes(_exit_with_three, nprocs=1, join=False, start_method="fork")
    assert isinstance(context, mp.ProcessContext) and len(context.pids()) == 1
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") as caught:
        while not context.join():
            pass
    assert caught.value.exit_code == 3

