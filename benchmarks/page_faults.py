"""Minor page faults per convnet_step with graphgrad's malloc thresholds (the default) and without them.

    python benchmarks/page_faults.py

Each setting runs in its own process (``GRAPHGRAD_KEEP_FREED_MEMORY=0`` leaves glibc's malloc as it is).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def child():
    sys.path.insert(0, HERE)
    import training

    import graphgrad

    step = training.convnet(graphgrad)
    for _ in range(5):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(50):
        step()
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(f"minor page faults per step {(after.ru_minflt - before.ru_minflt) / 50:.0f}, "
          f"peak RSS {after.ru_maxrss / 1024:.0f} MiB")


def main():
    if sys.argv[1:] == ["--child"]:
        child()
        return
    for label, keep in (("malloc thresholds raised (default)", "1"), ("GRAPHGRAD_KEEP_FREED_MEMORY=0", "0")):
        env = dict(os.environ, GRAPHGRAD_KEEP_FREED_MEMORY=keep)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child"], capture_output=True, text=True,
                             env=env, check=True)
        print(f"{label}: {out.stdout.strip()}")


if __name__ == "__main__":
    main()
