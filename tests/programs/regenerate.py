"""Write PyTorch's output of every program (or of the named ones) to expected/<name>.txt.

    python tests/programs/regenerate.py [NAME...]

Runs each program with real PyTorch (the version the tests pin), exactly as the test runs it on
graphgrad. A program that fails on PyTorch is an error in the program: nothing is written for it.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import EXPECTED, PROGRAMS, run_programs  # noqa: E402


def main(names):
    unknown = sorted(set(names) - set(PROGRAMS))
    if unknown:
        sys.exit(f"no such program: {', '.join(unknown)}")
    failed = []
    for name, run in sorted(run_programs("torch", names or PROGRAMS).items()):
        if run["returncode"] != 0:
            failed.append(name)
            print(f"{name}: failed on PyTorch\n{run['stderr']}", file=sys.stderr)
            continue
        (EXPECTED / f"{name}.txt").write_text(run["stdout"])
        print(f"{name}: {len(run['stdout'].splitlines())} lines, {run['seconds']} s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
