"""The programs in this folder and how to run them all on one library (for the test and regenerate.py)."""

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
