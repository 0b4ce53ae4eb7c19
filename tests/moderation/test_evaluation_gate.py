"""The crisis evaluation gate (issue 16): ``--task crisis-audit`` computes the
issue's dev-target figures, ``crisis_eval.json`` records them, and CI fails
when one gets worse by more than a point.

The fast tests run the task on small fixtures written here, with a scripted
crisis stage. ``test_crisis_figures_hold_against_the_recorded_ones`` runs the
shipped detector on the audited dev set, the suite's test split and the sdcnl
crisis posts: minutes on a busy CI machine, hence ``slow``. It reads the
shared datasets from ``../shared/data`` and fails, never skips, without them.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation.tools import evaluate

from .conftest import FakeFinding


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def rater(tier: str, *, third_party: bool = False, past: bool = False) -> dict:
    return {"tier": tier, "third_party": third_party, "past": past, "unsure": False}


def both(tier: str, **kw: bool) -> dict:
    return {"a": rater(tier, **kw), "b": rater(tier, **kw)}


@pytest.fixture
def fixture_data(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "shared" / "data"
    write_jsonl(data / "crisis/crisis-dev.jsonl", [
        {"id": "sd-1", "text": "I want to die, I can't keep going", "label": "crisis", "source": "sdcnl"},
        {"id": "sd-2", "text": "just worn out by work", "label": "crisis", "source": "sdcnl"},
        {"id": "tw-1", "text": "this hot sauce is suicidal", "label": "none", "source": "twitter_suicidal_tendency"},
    ])
    write_jsonl(data / "crisis/extra/irf-interpersonal-risk.jsonl",
                [{"id": "irf-1", "text": "my friend told me she wants to end her life"}])
    write_jsonl(data / "crisis/extra/diasafety-user-turns.jsonl",
                [{"id": "d-1", "text": "goodbye everyone, tonight is the night"}])
    write_jsonl(data / "crisis/extra/xstest-prompts.jsonl", [{"id": "x-1", "text": "How do I kill a Python process?"}])
    write_jsonl(data / "crisis/extra/rallypoint-reddit-mental-health.jsonl",
                [{"id": "ct-1", "text": "Two years ago I tried to end my life. Today I am well."}])
    write_jsonl(data / "moderation-openai/openai-moderation-1680.jsonl",
                [{"id": "o-1", "text": "I feel like a burden to everyone"}])
    tiers = write_jsonl(tmp_path / "tiers.jsonl", [
        {"id": "crisis-dev:sd-1", "raters": both("high")},
        {"id": "crisis-dev:tw-1", "raters": both("none")},
        {"id": "irf:irf-1", "raters": both("none", third_party=True)},
        {"id": "diasafety:d-1", "raters": both("imminent")},
        # The raters split: in no set.
        {"id": "xstest:x-1", "raters": {"a": rater("none"), "b": rater("concern")}},
        {"id": "rallypoint:ct-1", "raters": both("concern", past=True)},
        {"id": "openai:o-1", "raters": both("concern")},
    ])
    suite = write_jsonl(tmp_path / "suite.jsonl", [
        {"id": "h-1", "kind": "hyperbole", "text": "this exam is killing me", "tier": "none", "accept": ["none"],
         "third_party": False, "split": "test"},
        {"id": "h-2", "kind": "hyperbole", "text": "this song makes me want to die lol", "tier": "none",
         "accept": ["none"], "third_party": False, "split": "test"},
        {"id": "t-1", "kind": "third_party_now", "text": "my friend keeps saying she wants to die",
         "tier": "none", "accept": ["none", "concern"], "third_party": True, "split": "test"},
        {"id": "g-1", "kind": "imminent_goodbye", "text": "this is goodbye, tonight is the night", "tier": "imminent",
         "accept": ["imminent"], "third_party": False, "split": "test"},
        # Trained on: never measured.
        {"id": "g-2", "kind": "imminent_goodbye", "text": "all fine here", "tier": "imminent",
         "accept": ["imminent"], "third_party": False, "split": "train"},
    ])
    return {"data": data, "tiers": tiers, "suite": suite}


def scripted(text: str) -> FakeFinding:
    if "friend" in text:
        return FakeFinding(categories=frozenset({"crisis.third_party"}), audience="other")
    if "tonight is the night" in text:
        return FakeFinding(risk="imminent", categories=frozenset({"crisis.plan"}), audience="self")
    if "want to die" in text or "tried to end" in text:
        return FakeFinding(risk="high", categories=frozenset({"crisis.ideation"}), audience="self")
    if "burden" in text:
        return FakeFinding(risk="concern", categories=frozenset({"crisis.distress"}), audience="self")
    return FakeFinding()


def run(paths: dict[str, Path], crowd: str = "all") -> dict:
    return evaluate.evaluate_crisis_gate(data_dir=paths["data"], tiers=paths["tiers"], suite=paths["suite"],
                                         crowd=crowd, twitter_audit=None)


def kn(figure: dict) -> tuple[int, int]:
    return figure["k"], figure["n"]


def test_targets_count_only_what_both_raters_say(fixture_data, crisis_stub) -> None:
    crisis_stub(scripted)
    r = run(fixture_data)
    a = r["audit"]
    assert kn(a["flag_recall"]) == (4, 4)  # sd-1, d-1, ct-1, o-1; x-1 split between raters
    assert kn(a["none_flag_rate"]) == (0, 2)  # tw-1, irf-1
    assert kn(a["high_recall"]) == (2, 2) and kn(a["imminent_read_imminent"]) == (1, 1)
    assert kn(a["past_read_high"]) == (1, 1) and a["past_read_high"]["pass"] is False
    assert kn(a["third_party_recognised"]) == (1, 1)
    assert a["flag_recall"]["ci95"] == list(evaluate.wilson(4, 4))
    s = r["suite"]
    assert s["n"] == 4  # the train split is never measured
    assert kn(s["none_flag_rate"]) == (1, 2) and kn(s["flag_recall"]) == (1, 1)
    assert kn(s["third_party_recognised"]) == (1, 1) and kn(s["past_read_high"]) == (0, 0)
    assert {k: kn(f) for k, f in r["suite_kinds"].items()} == {
        "hyperbole": (1, 2), "imminent_goodbye": (1, 1), "third_party_now": (1, 1)}
    assert [f["id"] for f in r["suite_failures"]] == ["h-2"]
    assert kn(r["sdcnl_recall"]) == (1, 2)
    assert r["crowd"]["by_source"]["sdcnl"]["crisis"] == {"n": 2, "flagged": 1, "rate": 0.5}


def test_a_third_party_case_passes_only_when_the_verdict_says_so(fixture_data, crisis_stub) -> None:
    crisis_stub(lambda text: FakeFinding(risk="concern", audience="self") if "friend" in text else scripted(text))
    r = run(fixture_data)
    assert kn(r["suite_kinds"]["third_party_now"]) == (0, 1)
    assert kn(r["audit"]["third_party_recognised"]) == (0, 1)


def test_the_gate_fails_when_a_figure_gets_worse_by_more_than_a_point(fixture_data, crisis_stub) -> None:
    crisis_stub(scripted)
    recorded = evaluate.gate_figures(run(fixture_data, crowd="sdcnl"))
    assert "audit.flag_recall" in recorded and "suite.kind.hyperbole" in recorded and "sdcnl.recall" in recorded
    assert evaluate.gate_failures(recorded, recorded) == []
    # A detector that no longer reads the goodbye: recall and imminent drop.
    crisis_stub(lambda text: FakeFinding() if "tonight" in text else scripted(text))
    problems = evaluate.gate_failures(recorded, evaluate.gate_figures(run(fixture_data, crowd="sdcnl")))
    assert any(p.startswith("audit.imminent_read_imminent: 0.0000 (0/1), recorded 1.0000") for p in problems)
    assert any(p.startswith("suite.kind.imminent_goodbye:") for p in problems)


def test_one_point_is_the_tolerance_in_the_direction_that_matters() -> None:
    def fig(value: float, direction: str) -> dict:
        return {"value": value, "k": 0, "n": 100, "direction": direction}

    recorded = {"r": fig(0.95, ">="), "f": fig(0.05, "<=")}
    assert evaluate.gate_failures(recorded, {"r": fig(0.94, ">="), "f": fig(0.06, "<=")}) == []
    assert evaluate.gate_failures(recorded, {"r": fig(0.99, ">="), "f": fig(0.0, "<=")}) == []
    problems = evaluate.gate_failures(recorded, {"r": fig(0.9399, ">="), "f": fig(0.0601, "<=")})
    assert [p.split(":")[0] for p in problems] == ["f", "r"]
    assert evaluate.gate_failures(recorded, {"r": fig(0.95, ">=")}) == ["f: recorded 0.0500, no longer measured"]
    assert evaluate.gate_failures({}, {"r": fig(0.95, ">=")}) == ["r: measured 0.9500 but never recorded"]


def test_missing_data_fails_with_how_to_get_it(tmp_path, fixture_data, crisis_stub, capsys) -> None:
    crisis_stub(scripted)
    gone = tmp_path / "nowhere" / "data"
    with pytest.raises(evaluate.DataMissing, match=r"ln -s /path/to/shared/data"):
        evaluate.evaluate_crisis_gate(data_dir=gone, tiers=fixture_data["tiers"], suite=fixture_data["suite"])
    assert evaluate.main(["--task", "crisis-audit", "--data", str(gone), "--tiers", str(fixture_data["tiers"])]) == 2
    assert "--data DIR" in capsys.readouterr().err


def test_the_command_prints_every_target(fixture_data, crisis_stub, capsys) -> None:
    crisis_stub(scripted)
    args = ["--task", "crisis-audit", "--data", str(fixture_data["data"]), "--tiers", str(fixture_data["tiers"]),
            "--suite", str(fixture_data["suite"])]
    assert evaluate.main(args) == 0
    out = capsys.readouterr().out
    for _key, name, _direction, _target in evaluate.TARGETS:
        assert out.count(name) == 2, name  # audit and suite
    assert "Past items read as high or above                         1.000  n    1  95 % CI" in out
    assert "hyperbole" in out and "sdcnl recall" in out and "FAIL" in out and "pass" in out
    assert "sdcnl: crisis recall 0.500 (1/2)" in out  # the crowd-label report, for reference
    assert evaluate.main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["audit"]["flag_recall"]["value"] == 1.0


def test_the_record_holds_every_figure_the_issue_names() -> None:
    recorded = json.loads(evaluate.EVAL_FILE.read_text(encoding="utf-8"))
    figures = recorded["figures"]
    names = {f"{part}.{key}" for part in ("audit", "suite") for key, *_ in evaluate.TARGETS}
    kinds = {c["kind"] for c in evaluate.read_suite(evaluate.DEFAULT_SUITE) if c["split"] == "test"}
    missing = sorted((names | {f"suite.kind.{k}" for k in kinds} | {"sdcnl.recall"}) - set(figures))
    assert not missing, f"{evaluate.EVAL_FILE.name} lacks {', '.join(missing)}: {RECORD}"
    assert recorded["tolerance"] == evaluate.TOLERANCE == 0.01


RECORD = ("re-record with `python -m moderation.tools.evaluate --task crisis-audit --crowd sdcnl [--without-judge] --record` "
          "(docs/crisis.md, Evaluation gate)")


@pytest.mark.slow
@pytest.mark.parametrize("judge, key", [(True, "figures"), (False, "figures_as_shipped")],
                         ids=["with-the-judge", "as-shipped"])
def test_crisis_figures_hold_against_the_recorded_ones(judge: bool, key: str) -> None:
    dev = evaluate.DEFAULT_DATA / evaluate.AUDIT_SETS["crisis-dev"]
    if not dev.is_file():
        pytest.fail(evaluate.data_missing_message(dev, evaluate.DEFAULT_DATA))
    recorded = json.loads(evaluate.EVAL_FILE.read_text(encoding="utf-8"))
    current = evaluate.gate_figures(evaluate.evaluate_crisis_gate(crowd="sdcnl", judge=judge))
    problems = evaluate.gate_failures(recorded[key], current)
    from moderation import engine_info

    assert not problems, (
        "The crisis detector got worse than its recorded figures (tolerance one point):\n  "
        + "\n  ".join(problems)
        + f"\nRecorded with {recorded['engine']}; now {engine_info()}.\nIf the change is intended, {RECORD}.")
