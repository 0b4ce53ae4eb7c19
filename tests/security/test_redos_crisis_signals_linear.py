"""Issue 14, finding 1 (ReDoS): the crisis rules' work grows linearly with
the number of signals in a text. A repeated signal ("so suicidal thoughts")
gives one signal a repeat; the duplicate-reason and span-overlap checks used
to compare each signal with every earlier one. Growth is measured as a ratio
of times taken in one run, never an absolute time."""
from __future__ import annotations

import statistics
import time

from moderation import crisis

UNIT = "so suicidal thoughts "
N = 1000


def _median(text: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        crisis.analyse_rules(text)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def test_repeated_signal_is_still_flagged():
    finding = crisis.analyse_rules(UNIT * 5)
    assert "crisis.ideation" in finding.categories


def test_work_grows_linearly_with_repeated_signals():
    crisis.analyse_rules(UNIT * 10)  # patterns and caches loaded before timing
    small = _median(UNIT * N, 3)
    large = _median(UNIT * (4 * N), 1)
    if large / small > 7:  # a second look, so one scheduling hiccup is not a failure
        small, large = _median(UNIT * N, 3), _median(UNIT * (4 * N), 3)
    # Linear work gives about 4x; comparing each signal with every earlier
    # one gave well over twice that.
    assert large / small <= 7, f"{4 * N} repeats took {large / small:.1f}x the time of {N}"
