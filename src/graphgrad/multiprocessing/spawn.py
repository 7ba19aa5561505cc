"""``spawn`` and ``start_processes``: run ``fn(i, *args)`` in ``nprocs`` new processes, as PyTorch does.

When a child raises, its traceback comes back to the parent, the other children are stopped and the parent
raises ``ProcessRaisedException`` with that traceback; a child that dies otherwise gives
``ProcessExitedException`` with its exit code or signal.
"""

import multiprocessing
import multiprocessing.connection
import signal
import sys
import time
import traceback
import warnings

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException", "ProcessRaisedException", "spawn",
           "start_processes"]


class ProcessException(Exception):
    """A child process failed; ``error_index`` is its ``i``, ``error_pid`` its process id."""

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A child process raised an exception; the message carries its traceback."""


class ProcessExitedException(ProcessException):
    """A child process exited with a non-zero code or was killed by a signal."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code, self.signal_name)


def _run_child(fn, i, args, error_pipe):
    """The child's entry point: ``fn(i, *args)``; an exception's traceback goes to the parent, exit code 1."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent stopped this process
    except Exception:  # noqa: BLE001  (any error of the user's function is passed on to the parent)
        error_pipe.send(traceback.format_exc())
        sys.exit(1)
    finally:
        error_pipe.close()


class ProcessContext:
    """The started processes; ``join()`` waits for them and raises the first failure."""

    def __init__(self, processes, error_pipes):
        self.processes = processes
        self.error_pipes = error_pipes
        self.sentinels = {process.sentinel: index for index, process in enumerate(processes)}

    def pids(self):
        return [int(process.pid) for process in self.processes]

    def join(self, timeout=None, grace_period=None):
        """Wait up to ``timeout`` seconds for processes to end. True when all have ended well, False while some
        still run; when one failed, stop the others (SIGTERM, then SIGKILL after ``grace_period`` or 30 s) and
        raise its error."""
        if not self.sentinels:
            return True
        failed = None
        for sentinel in multiprocessing.connection.wait(list(self.sentinels), timeout=timeout):
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        self._stop_others(grace_period)
        raise self._failure(failed)

    def _join_all(self, seconds):
        deadline = time.monotonic() + seconds
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))

    def _stop_others(self, grace_period):
        if grace_period is not None:
            self._join_all(grace_period)
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        self._join_all(30 if grace_period is None else grace_period)
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join()

    def _failure(self, index):
        process, pipe = self.processes[index], self.error_pipes[index]
        try:  # a traceback, if the child's function raised; the pipe is merely closed if it exited otherwise
            trace = pipe.recv() if pipe.poll() else None
        except EOFError:
            trace = None
        if trace is not None:
            message = f"\n\n-- Process {index:d} terminated with the following error:\n" + trace
            return ProcessRaisedException(message, index, process.pid)
        code = process.exitcode
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"<Unknown signal {-code}>"
            return ProcessExitedException(f"process {index:d} terminated with signal {name}", index, process.pid,
                                          code, name)
        return ProcessExitedException(f"process {index:d} terminated with exit code {code:d}", index, process.pid,
                                      code)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``nprocs`` processes with ``start_method`` running ``fn(i, *args)``; wait for them when ``join``
    (None back), else return their ``ProcessContext``."""
    context = multiprocessing.get_context(start_method)
    processes, error_pipes = [], []
    for i in range(nprocs):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_run_child, args=(fn, i, args, send), daemon=daemon)
        process.start()
        send.close()  # the child holds its own end now
        processes.append(process)
        error_pipes.append(receive)
    started = ProcessContext(processes, error_pipes)
    if not join:
        return started
    while not started.join():
        pass


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` for i in ``range(nprocs)``, each in a new process started with "spawn" (``fn``
    must be importable: defined at the top level of a module). A child's exception is raised again in the
    parent as ``ProcessRaisedException`` with its traceback. ``mp.spawn(train, args=(world_size,), nprocs=2)``
    runs ``train(0, world_size)`` and ``train(1, world_size)``."""
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t torch.multiprocessing.start_processes(...)",
                      FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
