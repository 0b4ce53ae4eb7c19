"""The crisis judge (moderation.crisis_judge) and the encoder's window API
(moderation.encoder.windows / window_embeddings): long posts are read in
full by windows, each distinct text is encoded once for every judge, the
tier combines judge and rules by a stated policy, and a judge that cannot
read says so (the caller must fail safe) rather than answering "none"."""
from __future__ import annotations

import pytest

from moderation import crisis_judge, encoder
from moderation.crisis_judge import Reading, combine

T = {"flag": 0.5, "high": 0.5, "imminent": 0.5, "third_party": 0.5,
     "lower_concern": 0.1, "lower_high": 0.1, "lower_imminent": 0.02}


def _p(flag=0.0, high=0.0, imminent=0.0, third_party=0.0):
    return {"flag": flag, "high": high, "imminent": imminent, "third_party": third_party}


# -- windows ------------------------------------------------------------------------

def test_a_short_text_is_one_window():
    assert encoder.windows("  i can't   do this\nanymore ") == ["i can't do this anymore"]


def test_a_long_post_is_read_in_full_by_windows_of_whole_sentences():
    sentences = [f"Sentence number {i} says something about my week and how it went." for i in range(40)]
    text = " ".join(sentences)
    spans = encoder.window_spans(text)
    wins = encoder.windows(text)
    assert len(wins) > 1
    assert all(len(w.split()) <= encoder.WINDOW_WORDS for w in wins)
    # Every sentence is read, and each window starts and ends on a sentence.
    assert all(any(s in w for w in wins) for s in sentences)
    assert all(text[a:b].startswith("Sentence") and text[a:b].endswith(".") for a, b in spans)


def test_a_sentence_longer_than_a_window_is_cut_with_overlap():
    words = [f"w{i}" for i in range(200)]
    wins = encoder.windows(" ".join(words))
    seen = [w for win in wins for w in win.split()]
    assert set(seen) == set(words)
    assert len(seen) > len(words)  # overlapping chunks
    assert all(len(w.split()) <= encoder.WINDOW_WORDS for w in wins)


def test_window_embeddings_encode_each_distinct_text_once(monkeypatch):
    import numpy as np

    calls: list[list[str]] = []

    def fake(sentences):
        calls.append(list(sentences))
        return np.ones((len(sentences), 4), dtype="float32")

    monkeypatch.setattr(encoder, "embed_sentences", fake)
    encoder.clear_cache()
    a = encoder.window_embeddings(["hello there", "hello   there", "something else"])
    b = encoder.window_embeddings(["hello there"])  # the abuse judge, same message
    assert calls == [["hello there", "something else"]]
    assert a[0].shape == (1, 4) and b[0] is a[0]
    encoder.clear_cache()


# -- combining judge and rules ------------------------------------------------------

@pytest.mark.parametrize("rule, p, want", [
    ("none", _p(), "none"),
    ("none", _p(flag=0.9), "concern"),                          # the judge raises freely
    ("none", _p(flag=0.9, high=0.8, imminent=0.7), "imminent"),
    ("concern", _p(flag=0.3), "concern"),                       # not confident enough to lower
    ("concern", _p(flag=0.05), "none"),                         # confident: a supportive reply, hyperbole
    ("high", _p(flag=0.9, high=0.05), "concern"),               # one step at a time
    ("high", _p(flag=0.05, high=0.05), "none"),
    ("imminent", _p(flag=0.9, high=0.9, imminent=0.05), "imminent"),  # imminent needs strong disagreement
    ("imminent", _p(flag=0.9, high=0.9, imminent=0.01), "high"),
    ("imminent", _p(flag=0.9, high=0.5, imminent=0.4), "imminent"),
])
def test_the_combination_policy(rule, p, want):
    assert combine(rule, p, T) == want


def test_the_shipped_judge_loads_and_reads_calibrated_probabilities():
    crisis_judge.reset()
    judge = crisis_judge.get()
    assert judge is not None, crisis_judge.describe()
    texts = ["hello everyone", "I want to die",
             " ".join(["Some days are long and I keep going, it is fine."] * 30)]
    readings = crisis_judge.read_many(texts, judge)
    assert len(readings) == 3
    for r, t in zip(readings, texts):
        assert set(r.p) == set(crisis_judge.OUTPUTS) and all(0.0 <= v <= 1.0 for v in r.p.values())
        assert r.tier in crisis_judge.TIERS
        assert 0 <= r.span[0] <= r.span[1] <= len(t)
    meta = judge.meta
    assert meta["never_trained_on"] and meta["calibration"]["method"].startswith("Platt")
    assert all(v["licence"] for v in meta["data"].values())


def test_a_judge_without_weights_says_so_and_never_reads_none(monkeypatch, tmp_path):
    monkeypatch.setattr(crisis_judge, "WEIGHTS", tmp_path / "missing.safetensors")
    crisis_judge.reset()
    try:
        assert crisis_judge.get() is None
        assert "missing" in crisis_judge.describe()
        with pytest.raises(crisis_judge.JudgeUnavailable):
            crisis_judge.read_many(["had a lovely walk today"])
    finally:
        crisis_judge.reset()


# -- the context table: generated from crisis_judge.CONTEXT_CAPS --------------------

_SURE = _p(flag=0.99, high=0.99, imminent=0.99)


@pytest.mark.parametrize("context, cap", sorted(crisis_judge.CONTEXT_CAPS.items()))
def test_each_context_caps_the_judges_raise_as_its_row_says(context, cap):
    # The rules set a signal aside in this context and found nothing more.
    assert crisis_judge.decide("none", _SURE, T, {context: 1.0}) == cap


@pytest.mark.parametrize("context", sorted(crisis_judge.CONTEXT_CAPS))
def test_no_context_caps_a_denial_that_goes_on_after_but(context):
    # "I'm not suicidal, but ...": what follows is the writer's, read in full.
    assert crisis_judge.decide("none", _SURE, T, {context: 1.0, "contrast": 1.0}) == "imminent"


@pytest.mark.parametrize("context, cap", sorted(crisis_judge.CONTEXT_CAPS.items()))
def test_a_context_never_lowers_what_the_rules_found(context, cap):
    for rule in crisis_judge.TIERS:
        got = crisis_judge.decide(rule, _SURE, T, {context: 1.0})
        assert crisis_judge.RANK[got] >= crisis_judge.RANK[rule]


@pytest.mark.parametrize("context, cap", sorted(crisis_judge.CONTEXT_CAPS.items()))
def test_a_cap_holds_only_while_the_rules_found_no_more_than_it(context, cap):
    # A passive wish now beside a denial, a current plan beside a past story:
    # the rules found more than the context's cap, so the judge reads freely.
    above = crisis_judge.TIERS[crisis_judge.RANK[cap] + 1]
    assert crisis_judge.decide(above, _SURE, T, {context: 1.0}) == "imminent"


def test_without_any_context_the_judge_raises_freely():
    assert crisis_judge.decide("none", _SURE, T, {}) == "imminent"
    assert crisis_judge.decide("none", _SURE, T, None) == "imminent"


def test_every_capped_context_is_a_rule_feature():
    from moderation import crisis

    assert set(crisis_judge.CONTEXT_CAPS) <= set(crisis.RULE_FEATURES)
    assert set(crisis_judge.CONTEXT_CAPS.values()) <= set(crisis_judge.TIERS)


# -- the detector with the judge ----------------------------------------------------

class _Stub:
    """A judge reading fixed probabilities, for the detector's wiring."""

    def __init__(self, p, third=False):
        self.p, self.third = p, third
        self.thresholds = dict(T, third_party=0.5)
        self.features = ()
        self.caps = crisis_judge.CONTEXT_CAPS

    def read(self, emb, spans, feats=None):
        return Reading(dict(self.p), crisis_judge.Judge.tier_of(self.p, self.thresholds), self.third, spans[0])


def _analyse(text, judge, monkeypatch):
    import numpy as np

    from moderation import crisis

    monkeypatch.setattr(encoder, "window_embeddings", lambda texts: [np.zeros((1, 4)) for _ in texts])
    return crisis.analyse_many([text], judge=judge)[0]


def test_the_judge_raises_keyword_free_risk_and_says_what_it_read(monkeypatch):
    f = _analyse("everything is sorted and the letters are written", _Stub(_p(0.99, 0.99, 0.99)), monkeypatch)
    assert f.risk == "imminent" and "crisis.plan" in f.categories
    assert any("imminent" in r.explanation and "0.99" in r.explanation for r in f.reasons)
    assert f.scores["judge_imminent"] == 0.99


def test_the_judge_lowers_a_rule_flag_it_is_sure_of(monkeypatch):
    f = _analyse("suicidal thoughts are so common", _Stub(_p()), monkeypatch)
    assert f.risk == "none" and not f.reasons and f.scores["rules"] >= 1


def test_a_denial_caps_the_judge(monkeypatch):
    f = _analyse("I'm not suicidal.", _Stub(_p(0.99, 0.99, 0.99)), monkeypatch)
    assert f.risk == "none"


def test_the_judge_recognises_someone_else_at_risk(monkeypatch):
    f = _analyse("my flatmate has not come out of her room for days", _Stub(_p(third_party=0.9), third=True),
                 monkeypatch)
    assert f.risk == "none" and "crisis.third_party" in f.categories and f.audience == "other"


def test_a_judge_that_cannot_read_holds_the_text_for_a_person(monkeypatch):
    from moderation import crisis

    class Broken(_Stub):
        def read(self, *a, **k):
            raise RuntimeError("no model")

    for text in ("had a lovely walk today", "I want to kill myself tonight"):
        f = _analyse(text, Broken(_p()), monkeypatch)
        assert any(r.code == "crisis.error" for r in f.reasons)
        assert crisis.TIERS.index(f.risk) >= crisis.TIERS.index(crisis.analyse_rules(text).risk)
        assert f.risk != "none"


def test_screening_holds_when_the_judge_is_on_but_cannot_load(monkeypatch, tmp_path):
    from moderation import screen

    from moderation import settings

    monkeypatch.setattr(crisis_judge, "WEIGHTS", tmp_path / "missing.safetensors")
    crisis_judge.reset()
    try:
        with settings.using(crisis_judge=True, semantic=True):
            v = screen("had a lovely walk today", kind="post")
        assert "screening_error" in v.categories and v.action == "hold"
    finally:
        crisis_judge.reset()


@pytest.mark.parametrize("p, want", [
    (_p(flag=0.4, high=0.9, imminent=0.9), "none"),   # not flagged: no higher tier on its own
    (_p(flag=0.9, high=0.4, imminent=0.9), "concern"),
    (_p(flag=0.9, high=0.9, imminent=0.4), "high"),
    (_p(flag=0.9, high=0.9, imminent=0.9), "imminent"),
])
def test_each_tier_of_the_judge_needs_the_one_below(p, want):
    assert crisis_judge.Judge.tier_of(p, T) == want


# -- why it ships off ---------------------------------------------------------------

ORDINARY_REPLIES = [
    "Me too.",
    "I had a good day today, went for a walk.",
    "Me too. A short walk helps a bit.",
    "Some heavy feelings this week.",
]


@pytest.mark.xfail(strict=True, reason=(
    "why KINDRED_CRISIS_JUDGE ships off: the judge reads short ordinary replies as high risk, which would show "
    "them the crisis panel and fill the moderators' queue. When this passes, the judge may be switched on"))
def test_the_judge_leaves_ordinary_short_replies_alone():
    from moderation import screen

    assert [screen(t).risk for t in ORDINARY_REPLIES] == ["none", "none", "none", "none"]


def test_the_detector_as_shipped_leaves_them_alone():
    from moderation import screen, settings

    with settings.using(crisis_judge=settings.ModelSettings().crisis_judge):
        assert [screen(t).risk for t in ORDINARY_REPLIES] == ["none", "none", "none", "none"]
