"""Run programs of this folder on one library, each in a fresh process: ``python _run.py torch|graphgrad JOBS NAME...``.

The library is imported once, in this process; each program then runs in a child forked from it
(``os.fork``), so it starts fresh (its own seeds, modules, grad mode) without paying the import
again. For ``graphgrad``, ``import torch`` inside the programs resolves to graphgrad through
``graphgrad.as_torch``, as ``python -m graphgrad.as_torch NAME.py`` would. Prints one JSON object:
name -> {"returncode", "stdout", "stderr"}.
"""

import json
import os
import resource
import runpy
import signal
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_S = 60
# a program that asks for far more memory than it needs fails fast instead of swapping the machine to a halt
ADDRESS_SPACE_LIMIT = 16 << 30

# One thread for the BLAS and OpenMP pools of both libraries, set before NumPy or PyTorch load them: sums then do
# not depend on the machine's core count, and two programs at once do not fight over cores (on a busy 2-core
# machine a threaded BLAS made some programs 5x slower).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"


def import_library(library):
    if library == "graphgrad":
        import graphgrad.as_torch

        graphgrad.as_torch.install()
        return
    import torch

    torch.set_num_threads(1)
    # warm up what PyTorch imports lazily on first use (its optimizers pull in much of torch), so that each
    # program does not pay for it; no random numbers are drawn here
    weight = torch.zeros(2, requires_grad=True)
    (weight * weight).sum().backward()
    for optimizer in (torch.optim.SGD([weight], lr=0.1), torch.optim.Adam([weight])):
        optimizer.step()


def _child(name, out_path, err_path, workdir):
    """In the forked child: run program ``name`` with stdout/stderr going to files, then exit."""
    with open(out_path, "w") as out, open(err_path, "w") as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft > ADDRESS_SPACE_LIMIT:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, hard))
    code = 0
    try:
        os.chdir(workdir)
        path = os.path.join(HERE, name + ".py")
        sys.argv = [path]
        sys.path.insert(0, HERE)
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: B036  (whatever the program raised is its output)
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_all(names, jobs=2):
    results, running, queue = {}, {}, list(names)
    with tempfile.TemporaryDirectory() as tmp:
        while queue or running:
            while queue and len(running) < jobs:
                name = queue.pop(0)
                files = (os.path.join(tmp, name + ".out"), os.path.join(tmp, name + ".err"))
                workdir = os.path.join(tmp, name)
                os.mkdir(workdir)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _child(name, *files, workdir)
                running[pid] = (name, files, time.monotonic())
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                for child, (_, _, started) in running.items():
                    if time.monotonic() - started > TIMEOUT_S:
                        os.kill(child, signal.SIGKILL)
                time.sleep(0.01)
                continue
            name, (out_path, err_path), started = running.pop(pid)
            with open(out_path) as out, open(err_path) as err:
                results[name] = {"returncode": os.waitstatus_to_exitcode(status), "stdout": out.read(),
                                 "stderr": err.read(), "seconds": round(time.monotonic() - started, 2)}
    return results


if __name__ == "__main__":
    import_library(sys.argv[1])
    print(json.dumps(run_all(sys.argv[3:], jobs=int(sys.argv[2]))))
