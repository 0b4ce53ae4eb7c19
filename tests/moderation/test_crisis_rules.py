"""The crisis rules are data (issue 16, "Rules are data"): these tests are
generated from ``moderation/data/crisis_rules.json``. Every record's positive
examples must raise its reason through the normal path
(``crisis.analyse_rules``, with the prefilter gate), and its negatives must
not; so a phrase added to a record cannot silently do nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation import crisis
from moderation import crisis_lexicon as L

RULES = L.RULES.rules
POSITIVE = [pytest.param(r.id, ex, id=f"{r.id}+{k}") for r in RULES for k, ex in enumerate(r.positive)]
NEGATIVE = [pytest.param(r.id, ex, id=f"{r.id}-{k}") for r in RULES for k, ex in enumerate(r.negative)]


@pytest.mark.parametrize("rule_id, text", POSITIVE)
def test_positive_example_hits_its_rule(rule_id, text):
    fired = crisis.rules_fired(text)
    assert rule_id in fired, f"{rule_id}: {text!r} gave {fired or 'nothing'}"
    if L.RULES.by_id[rule_id].kind != "figure":
        assert crisis.analyse_rules(text).reasons, text


@pytest.mark.parametrize("rule_id, text", NEGATIVE)
def test_negative_example_misses_its_rule(rule_id, text):
    assert rule_id not in crisis.rules_fired(text), f"{rule_id} fired on its negative example {text!r}"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_pattern_of_a_record_has_an_example(rule):
    """A record with several patterns: each one is matched by a positive."""
    for src in rule.sources:
        pat = L.compile_linear(src)
        assert any(pat.search(L._fold(ex)) for ex in rule.positive), f"{rule.id}: no positive example for {src!r}"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_a_reason_says_what_the_record_found(rule):
    """The reason a record gives carries the record's own explanation (a
    figure gives none; a bare topic word's fail-safe reason says it is
    unplaced)."""
    if rule.kind in ("figure", "topic"):
        return
    text = rule.positive[0]
    finding = crisis.analyse_rules(text)
    parts = [p for p in rule.explanation.lower().rstrip(".").split("{found}") if p.strip(' "():.')]
    assert any(all(p in r.explanation.lower() for p in parts) and "{found}" not in r.explanation
               for r in finding.reasons), (rule.id, [r.explanation for r in finding.reasons])


@pytest.mark.parametrize("text, named", [
    ("I want to kill myself tonight", ['end their life: "kill myself"', 'timeframe ("tonight")']),
    ("I have 40 pills and I want to die", ['"want to die"', 'means ("40 pills")']),
    ("goodbye everyone, tonight is the night", ['goodbye or final message: "goodbye everyone"']),
])
def test_the_explanation_names_what_was_found(text, named):
    """Issue 16: "I want to kill myself tonight" was explained as "A passive
    death wish"; the explanation now names the ideation and the timeframe."""
    finding = crisis.analyse_rules(text)
    said = " ".join(r.explanation for r in finding.reasons).lower()
    assert finding.risk == "imminent" and "passive" not in said
    for n in named:
        assert n.lower() in said, (n, said)


# -- load-time checks: a bad record is refused with a message naming it ------------

def _write(tmp_path: Path, records: list[dict], macros: dict | None = None) -> Path:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"version": "t", "macros": macros or {}, "records": records}), encoding="utf-8")
    return path


def _record(**kw) -> dict:
    rec = {"id": "self.test", "kind": "self", "category": "crisis.ideation", "tier": "high",
           "explanation": "Says they want to end their life.", "patterns": ["end my life"], "prefilter": ["life"],
           "positive": ["I want to end my life."], "negative": ["I love my life."]}
    rec.update(kw)
    return rec


def test_a_valid_file_loads(tmp_path):
    rules = L.load_rules(_write(tmp_path, [_record()]))
    assert [r.id for r in rules.rules] == ["self.test"]


def test_a_pattern_re2_cannot_run_is_refused_naming_the_record(tmp_path):
    with pytest.raises(L.RuleError, match=r"self\.test: RE2 cannot run"):
        L.load_rules(_write(tmp_path, [_record(patterns=["end my life(?= now)"])]))


def test_the_prefilter_trap_is_refused_at_load(tmp_path):
    """The issue's trap: a phrase added to a pattern whose words are not in
    the prefilter would never run. The record's own example shows it."""
    rec = _record(patterns=["end my life|take my own life"],
                  positive=["I want to end my life.", "I want to take my own own life."], prefilter=["end"])
    rec["positive"] = ["I want to end my life.", "I want to take my own life."]
    with pytest.raises(L.RuleError, match=r"self\.test: .*'take my own life'.*prefilter"):
        L.load_rules(_write(tmp_path, [rec]))


@pytest.mark.parametrize("change, message", [
    ({"kind": "nonsense"}, "kind 'nonsense'"),
    ({"tier": "severe"}, "tier 'severe'"),
    ({"positive": []}, "'positive' must be a list of at least 1"),
    ({"negative": []}, "'negative' must be a list of at least 1"),
    ({"explanation": ""}, "explanation"),
    ({"patterns": ["{NOPE} life"]}, "unknown macro"),
    ({"colour": "red"}, "unknown fields"),
    ({"kind": "time", "prefilter": ["x"]}, "not gated"),
])
def test_malformed_records_are_refused_naming_the_record(tmp_path, change, message):
    with pytest.raises(L.RuleError, match="self.test") as exc:
        L.load_rules(_write(tmp_path, [_record(**change)]))
    assert message in str(exc.value)


def test_an_id_used_twice_is_refused(tmp_path):
    with pytest.raises(L.RuleError, match="used twice"):
        L.load_rules(_write(tmp_path, [_record(), _record()]))


def test_the_shipped_rules_are_all_re2():
    """Every shipped record runs on RE2 (linear time); conditions on the words
    around a match are RE2 patterns too."""
    from moderation import patterns

    names = [n for n in patterns.REGISTRY if n.startswith("moderation.crisis_lexicon.RULES")]
    assert len(names) > 10
    assert all(patterns.REGISTRY[n].engine == "re2" for n in names), [
        n for n in names if patterns.REGISTRY[n].engine != "re2"]
