"""The programs in this folder and how to run them all on one library (for the test and regenerate.py).

    python tests/programs/_corpus.py [NAME...]   # which programs print PyTorch's output on graphgrad today
"""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected"
PROGRAMS = sorted(p.stem for p in HERE.glob("*.py") if not p.name.startswith(("_", "test_", "regenerate")))


def run_programs(library, names=PROGRAMS, jobs=2):
    """Run ``names`` on ``library`` ("torch" or "graphgrad"), each in a fresh process; name -> result dict."""
    proc = subprocess.run([sys.executable, str(HERE / "_run.py"), library, str(jobs), *names],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the program runner failed on {library}:\n{proc.stderr}")
    return json.loads(proc.stdout)


def status(names=PROGRAMS):
    """One line per program: whether graphgrad prints PyTorch's output, else where it first differs or fails."""
    runs = run_programs("graphgrad", names)
    matching = 0
    for name in names:
        run, expected = runs[name], (EXPECTED / f"{name}.txt").read_text().splitlines()
        got = run["stdout"].splitlines()
        if run["returncode"] == 0 and got == expected:
            matching += 1
            print(f"{name:42s} matches")
            continue
        line = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
        error = run["stderr"].strip().splitlines()[-1:] if run["returncode"] else []
        print(f"{name:42s} differs from line {line + 1}" + (f"; stopped: {error[0]}" if error else ""))
    print(f"{matching} of {len(names)} programs print PyTorch's output")


if __name__ == "__main__":
    status(sys.argv[1:] or PROGRAMS)
