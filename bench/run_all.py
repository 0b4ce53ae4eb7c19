"""Run every benchmark once with its defaults: ``make bench``.

Not tests: each prints its own figures and targets. Run on an idle machine;
each also reports figures that hold up on a busy one (ratios to a baseline
measured in the same run, or server CPU per request).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ["forum_bench.py"],
    ["alert_latency.py"],
    ["chat_bench.py", "--clients", "200", "--seconds", "20"],
]


def main() -> int:
    failed = 0
    for bench in BENCHES:
        print(f"\n=== {' '.join(bench)} ===", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / bench[0]), *bench[1:]])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
