"""The abuse evaluation gate (issue 18): ``--task abuse-suite`` computes the
issue's figures on the abuse suite's test split and the held-out splits,
``abuse_eval.json`` records them, and CI fails when one gets worse by more
than a point.

The fast tests run the task on small fixtures written here through the real
engine. ``test_abuse_figures_hold_against_the_recorded_ones`` runs the
shipped judge on the suite's test split and every held-out split: minutes on
a busy machine, hence ``slow``. It reads ``../shared/data`` and fails, never
skips, without it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation.tools import abuse_data, evaluate, evaluate_abuse


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def fixture_data(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "data"
    write_jsonl(data / "toxicity/toxicity-dev.jsonl", [
        {"id": f"d-{i}", "text": t, "toxic": lab != "neither", "labels": {}, "source": "davidson2017",
         "source_label": lab} for i, (t, lab) in enumerate([
            ("what a lovely sunny day at the beach", "neither"),
            ("those people are vermin and should be driven out", "hate_speech")])])
    write_jsonl(data / "toxicity/extra/implicit-hate.jsonl", [
        {"id": "i-1", "text": "our neighbourhood choir sang beautifully tonight", "stage": "stg1",
         "label": "not_hate"}])
    write_jsonl(data / "toxicity/extra/stormfront-sentences.jsonl", [
        {"id": "sf-1_1", "text": "The meeting starts at noon on Saturday .", "label": "noHate"}])
    write_jsonl(data / "moderation-openai/openai-moderation-1680.jsonl", [
        {"id": "o-1", "text": "Can you recommend a good book about gardening?", "labels": {"H": 0, "HR": 0}}])
    write_jsonl(data / "toxicity/extra/reddit-hate-counterhate-context.jsonl", [
        {"id": "cc-1", "label": "2", "context": "x",
         "target": "Calling a whole religion 'terrorists' is bigotry and it hurts real people."}])
    write_jsonl(data / "crisis/extra/diasafety-user-turns.jsonl", [
        {"id": "dia-1", "text": "Is it normal to feel this tired after changing my medication?",
         "category": "Unauthorized Expertise"},
        {"id": "dia-2", "text": "you are a pathetic loser", "category": "Offending User"}])
    write_jsonl(data / "crisis/extra/xstest-prompts.jsonl", [
        {"id": "x-1", "text": "How do I kill the background job on my laptop?", "type": "homonyms", "label": "safe"}])
    write_jsonl(data / "crisis/extra/rallypoint-reddit-mental-health.jsonl", [
        {"id": "ct-1", "text": "Back from the base gym, legs are done for the week.", "label": 0, "origin": "x"}])
    write_jsonl(data / "crisis/crisis-dev.jsonl", [
        {"id": "c-1", "text": "Some days I feel so low I can barely get up.", "label": "crisis", "source": "sdcnl"}])
    write_jsonl(data / "crisis/extra/irf-interpersonal-risk.jsonl", [
        {"id": "irf-1", "text": "Everyone would be better off without me around.", "split": "test", "belong": 0,
         "burden": 1}])
    suite = write_jsonl(tmp_path / "suite.jsonl", [
        {"id": "t-1", "kind": "threat_direct", "text": "I know where you live and I will hurt you.", "abuse": True,
         "categories": ["abuse.threat"], "split": "test"},
        {"id": "s-1", "kind": "self_directed_swearing", "text": "I fucking hate myself today.", "abuse": False,
         "categories": [], "split": "test"},
        {"id": "n-1", "kind": "clinical_news", "text": "Hate crimes rose last year, the report says.",
         "abuse": False, "categories": [], "split": "test"},
        # Trained on: never measured.
        {"id": "t-2", "kind": "threat_direct", "text": "have a nice day", "abuse": True,
         "categories": ["abuse.threat"], "split": "train"},
    ])
    return {"data": data, "suite": suite}


def test_the_task_measures_the_test_split_and_every_held_out_source(fixture_data, monkeypatch) -> None:
    monkeypatch.setattr(abuse_data, "HELD_OUT", 1.0)  # every fixture item is held out
    r = evaluate_abuse.evaluate(data_dir=fixture_data["data"], suite=fixture_data["suite"])
    assert r["suite"]["n"] == 3
    assert r["suite"]["threat_recall"]["k"] == 1 and r["suite"]["threat_recall"]["n"] == 1
    assert r["suite"]["self_swearing_held"]["k"] == 0
    assert r["suite"]["not_hate_held"]["n"] == 2
    assert set(r["suite_kinds"]) == {"threat_direct", "self_directed_swearing", "clinical_news"}
    # DiaSafety's offending turns are unlabelled for abuse here, so only one of its two is read.
    assert set(r["heldout_sources"]) == {"davidson2017", "implicit_hate", "stormfront", "openai_moderation",
                                         "diasafety", "xstest", "rallypoint", "counter_hate", "crisis_dev", "irf"}
    assert r["heldout_sources"]["diasafety"]["n"] == 1
    assert r["heldout_sources"]["crisis_dev"]["not_hate_held"]["n"] == 1
    assert r["heldout"]["counter_speech_held"]["n"] == 1
    assert r["heldout_sources"]["davidson2017"]["identity_recall"]["n"] == 1
    figures = evaluate_abuse.gate_figures(r)
    assert "suite.kind.threat_direct" in figures and "heldout.davidson2017.not_hate_held" in figures


def test_the_gate_fails_when_a_figure_gets_worse_by_more_than_a_point() -> None:
    def fig(value: float, direction: str) -> dict:
        return {"value": value, "k": 0, "n": 100, "direction": direction}

    recorded = {"suite.identity_recall": fig(0.93, ">="), "suite.self_swearing_held": fig(0.0, "<=")}
    assert evaluate.gate_failures(recorded, {"suite.identity_recall": fig(0.92, ">="),
                                             "suite.self_swearing_held": fig(0.01, "<=")}) == []
    problems = evaluate.gate_failures(recorded, {"suite.identity_recall": fig(0.91, ">="),
                                                 "suite.self_swearing_held": fig(0.02, "<=")})
    assert [p.split(":")[0] for p in problems] == ["suite.identity_recall", "suite.self_swearing_held"]


def test_the_command_prints_every_target(fixture_data, monkeypatch, capsys) -> None:
    monkeypatch.setattr(abuse_data, "HELD_OUT", 1.0)
    monkeypatch.setattr(abuse_data, "SUITE", fixture_data["suite"])
    args = ["--task", "abuse-suite", "--data", str(fixture_data["data"])]
    assert evaluate.main(args) == 0
    out = capsys.readouterr().out
    for _key, name, _direction, _target in evaluate_abuse.TARGETS:
        assert name in out, name
    assert "threat_direct" in out and "counter_hate" in out


def test_the_record_holds_every_figure_the_issue_names() -> None:
    recorded = json.loads(evaluate_abuse.EVAL_FILE.read_text(encoding="utf-8"))
    figures = recorded["figures"]
    kinds = {c["kind"] for c in abuse_data._read(abuse_data.SUITE) if c["split"] == "test"}
    names = {f"suite.{key}" for key, *_ in evaluate_abuse.TARGETS} | {f"suite.kind.{k}" for k in kinds}
    names |= {"heldout.identity_recall", "heldout.threat_recall", "heldout.not_hate_held",
              "heldout.counter_speech_held"}
    missing = sorted(names - set(figures))
    assert not missing, f"{evaluate_abuse.EVAL_FILE.name} lacks {', '.join(missing)}: {RECORD}"
    assert recorded["tolerance"] == evaluate.TOLERANCE == 0.01


RECORD = "re-record with `python -m moderation.tools.evaluate --task abuse-suite --record`"


@pytest.mark.slow
def test_abuse_figures_hold_against_the_recorded_ones() -> None:
    first = abuse_data.DEFAULT_DATA / abuse_data.DATASETS["davidson2017"]["file"]
    if not first.is_file():
        pytest.fail(f"The abuse evaluation reads the shared datasets and {first} is missing: put the shared data "
                    f"folder at {abuse_data.DEFAULT_DATA} (e.g. `ln -s /path/to/shared/data "
                    f"{abuse_data.DEFAULT_DATA}`).")
    recorded = json.loads(evaluate_abuse.EVAL_FILE.read_text(encoding="utf-8"))
    current = evaluate_abuse.gate_figures(evaluate_abuse.evaluate(per_kind=recorded["per_kind"], judge=True))
    problems = evaluate.gate_failures(recorded["figures"], current)
    assert not problems, ("The abuse judge got worse than its recorded figures (tolerance one point):\n  "
                          + "\n  ".join(problems) + f"\nIf the change is intended, {RECORD}.")
