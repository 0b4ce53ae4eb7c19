"""The fine-tuned crisis reader: its shipped, hash-pinned adapters, what it
may and may not change, behaviour without it or when it fails, sharing
MiniLM with the other layers safely, and the training command on a small
fixture written here."""
from __future__ import annotations

import json
import shutil
import threading

import pytest

from moderation import crisis, crisis_reader, semantic
from moderation.tools import train_reader


class _Scripted:
    """Stands in for a loaded reader; the probability comes from ``scripted``."""

    def __init__(self, lo: float = 0.3, hi: float = 0.65) -> None:
        self.thresholds = crisis_reader.Thresholds(lo, hi)


@pytest.fixture
def scripted(monkeypatch):
    """A reader that gives every text the same probability."""

    def install(p: float) -> _Scripted:
        monkeypatch.setattr(crisis_reader, "probabilities", lambda texts, reader=None: [p] * len(texts))
        return _Scripted()

    return install


def _shipped() -> crisis_reader.Reader:
    reader = crisis_reader.get()
    assert reader is not None, (f"the crisis reader did not load ({crisis_reader.describe()}); "
                                "run python -m moderation.tools.train_reader FILE.jsonl")
    return reader


# -- the shipped file ---------------------------------------------------------

def test_shipped_reader_loads_offline_and_matches_its_pinned_hash():
    reader = _shipped()
    meta = crisis_reader.read_meta()
    assert semantic.sha256_of(crisis_reader.READER_FILE) == meta["sha256"]
    assert meta["base_sha256"] == semantic.MODEL_SHA256
    assert 0 <= meta["lo"] <= meta["hi"] <= 1  # below lo: talk; at or above hi: a disclosure
    assert reader.thresholds == crisis_reader.Thresholds(meta["lo"], meta["hi"])
    # The file records how it was trained and its cross-validated figures, never any text.
    assert "cross_validated_whole_detector" in meta["trained"]
    assert crisis.engine_info()["crisis_reader"] == meta["version"]


def test_tampered_weights_are_refused(tmp_path):
    bad = tmp_path / "reader.safetensors"
    shutil.copy(crisis_reader.READER_FILE, bad)
    data = bytearray(bad.read_bytes())
    data[-1] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(crisis_reader.ReaderUnavailable, match="sha256"):
        crisis_reader.load_reader(bad, crisis_reader.META_FILE)


def test_a_reader_trained_on_another_minilm_is_refused(tmp_path):
    meta = crisis_reader.read_meta()
    meta["base_sha256"] = "0" * 64
    path = tmp_path / "reader.json"
    path.write_text(json.dumps(meta))
    with pytest.raises(crisis_reader.ReaderUnavailable, match="different MiniLM"):
        crisis_reader.load_reader(crisis_reader.READER_FILE, path)


def test_missing_files_and_the_setting_turn_the_reader_off(tmp_path, model_settings):
    with pytest.raises(crisis_reader.ReaderUnavailable, match="metadata"):
        crisis_reader.load_reader(crisis_reader.READER_FILE, tmp_path / "none.json")
    with pytest.raises(crisis_reader.ReaderUnavailable, match="missing"):
        crisis_reader.load_reader(tmp_path / "none.safetensors", crisis_reader.META_FILE)
    model_settings(reader=False)
    with pytest.raises(crisis_reader.ReaderUnavailable, match="disabled"):
        crisis_reader.load_reader()


def test_without_the_reader_the_rules_and_head_still_run(monkeypatch, model_settings):
    crisis_reader.reset()
    model_settings(reader=False)
    try:
        assert crisis.analyse("I want to kill myself.").risk == "high"
        assert crisis.analyse("Feeling suicidal again.").risk != "none"
        crisis.analyse("Lockdowns are making dogs suicidal.")  # a text the reader would read: it tries to load
        assert crisis.engine_info()["crisis_reader"].startswith("unavailable: disabled")
    finally:
        monkeypatch.undo()
        crisis_reader.reset()


# -- sharing MiniLM -----------------------------------------------------------

TEXTS = ["Feeling suicidal again and I don't know who to tell.", "The bus was late again this morning."]


def test_the_base_model_is_unchanged_while_the_reader_is_loaded():
    crisis_reader.reset()
    before = semantic.embed(TEXTS)
    _shipped()
    after = semantic.embed(TEXTS)
    assert (before - after).abs().max().item() < 1e-6


def test_concurrent_readers_and_embedders_keep_their_readings_apart():
    """The adapters switch on for the reader's call only, under the model's
    lock: an embedding taken meanwhile must be the base model's."""
    reader = _shipped()
    want_p = crisis_reader.probabilities(TEXTS, reader)
    want_e = semantic.embed(TEXTS)
    errors: list[str] = []

    def read() -> None:
        for _ in range(5):
            got = crisis_reader.probabilities(TEXTS, reader)
            if max(abs(a - b) for a, b in zip(got, want_p)) > 1e-5:
                errors.append(f"reader {got} != {want_p}")

    def embed() -> None:
        for _ in range(5):
            if (semantic.embed(TEXTS) - want_e).abs().max().item() > 1e-5:
                errors.append("embedding changed")

    threads = [threading.Thread(target=f) for f in (read, embed, read, embed)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]


# -- what the shipped reader reads (the whole detector's tables for the
# models are in test_crisis_head.py) --------------------------------------------

@pytest.mark.parametrize("text", [
    "Went for a walk by the river today and it helped a bit.",
    "This exam is killing me.",
    "I'm not suicidal, just exhausted after a long week.",
    "What do I say to someone who's suicidal?",
    "My sister says she feels suicidal.",
    "I want to kill myself.",
])
def test_the_reader_is_asked_only_about_what_the_rules_could_not_place(text):
    """Everyday posts, readings the rules made (a figure of speech, a
    denial, a question to others, someone else) and first-person
    statements: the reader is not asked, so it can neither raise nor
    lower them."""
    assert "reader" not in crisis.analyse(text).scores


def test_the_reader_is_not_loaded_for_a_batch_it_would_not_read():
    crisis_reader.reset()
    crisis.analyse_many(["Went for a walk by the river today.", "I want to kill myself."])
    assert crisis_reader.describe() == "not loaded yet"
    crisis.analyse("Why are squirrels so suicidal")
    assert crisis_reader.describe() == crisis_reader.read_meta()["version"]


def test_the_reader_reads_uncertain_topic_words_and_bare_word_flags():
    assert "reader" in crisis.analyse("Lockdowns are making dogs suicidal.").scores
    assert "reader" in crisis.analyse("Why are squirrels so suicidal").scores
    assert "reader" not in crisis.analyse("Feeling suicidal again.").scores  # the writer, unnamed: never overruled


# -- what the reader may change (scripted probabilities) -----------------------

@pytest.mark.parametrize("text", [
    "Lockdowns are making our dogs suicidal.",
    "Why are squirrels so suicidal",
    "If you or a co-worker is feeling suicidal, call the helpline.",
])
def test_a_confident_no_sets_aside_a_bare_topic_word_that_names_no_one(scripted, text):
    assert crisis.analyse_many([text], reader=None)[0].risk != "none"
    finding = crisis.analyse_many([text], reader=scripted(0.05))[0]
    assert finding.risk == "none"
    assert finding.scores["reader"] == 0.05 and finding.scores["reader_overruled"] > 0


@pytest.mark.parametrize("text", [
    "I am suicidal.",
    "As someone with suicidal thoughts, this helps.",
    "Feeling suicidal again.",
    "So suicidal",
    "Honestly so suicidal today",
    "I want to kill myself.",
    "I cut myself last night.",
    "feeling suicidal, going to do it tonight",
    "This is goodbye, I'm sorry.",
    "My sister says she wants to die.",
])
def test_never_overruled(scripted, text):
    """A sentence naming the writer or opening with the writer's unnamed
    feeling, a first-person statement, self-harm, a plan, a goodbye or
    someone else's risk: the rules' reading stands whatever the reader says."""
    without = crisis.analyse_many([text], reader=None)[0]
    with_reader = crisis.analyse_many([text], reader=scripted(0.0))[0]
    assert (with_reader.risk, with_reader.categories) == (without.risk, without.categories)


def test_a_confident_yes_raises_a_text_the_rules_left_at_none_to_concern(scripted):
    text = "Lockdowns are making dogs suicidal."
    assert crisis.analyse_many([text], reader=None)[0].risk == "none"
    finding = crisis.analyse_many([text], reader=scripted(0.9))[0]
    assert finding.risk == "concern" and "crisis.ideation" in finding.categories
    reason = finding.reasons[-1]
    assert text[reason.start:reason.end] == "suicidal" and "reader" in reason.explanation
    assert crisis.analyse_many([text], reader=scripted(0.5))[0].risk == "none"


def test_where_the_reader_reads_its_reading_replaces_the_heads(scripted):
    text = "Suicidal thoughts."
    without = crisis.analyse_many([text], reader=None)[0]
    assert without.risk == "concern" and without.scores["head"] >= 0.5  # the head raised it
    assert crisis.analyse_many([text], reader=scripted(0.5))[0].risk == "none"
    raised = crisis.analyse_many([text], reader=scripted(0.9))[0]
    assert raised.risk == "concern" and "reader" in raised.reasons[-1].explanation


def test_the_reader_never_lowers_imminent_or_high_first_person_risk(scripted):
    for text in ("I've taken them all, this is goodbye.", "I want to die."):
        assert crisis.analyse_many([text], reader=scripted(0.0))[0].risk in ("high", "imminent")


def test_a_failing_reader_leaves_the_rules_reading(monkeypatch):
    def boom(texts, reader=None):
        raise RuntimeError("reader broke")

    monkeypatch.setattr(crisis_reader, "probabilities", boom)
    text = "Lockdowns are making our dogs suicidal."
    assert crisis.analyse_many([text], reader=_Scripted())[0] == crisis.analyse_many([text], reader=None)[0]


@pytest.mark.parametrize("p", [0.0, 0.2, 0.4, 0.7, 0.95])
def test_the_tuning_decision_is_the_detector_decision(scripted, p):
    """``train_reader.decide`` (threshold search from traces) must flag
    exactly what the detector flags."""
    texts = ["Feeling suicidal again.", "being suicidal is exhausting", "I want to die.",
             "Why are squirrels so suicidal", "The bus was late.", "my sister is suicidal"]
    reader = scripted(p)
    trace: list = []
    found = crisis.analyse_many(texts, reader=reader, trace=trace)
    lo, hi = reader.thresholds.lo, reader.thresholds.hi
    assert [train_reader.decide(t, lo, hi) for t in trace] == [f.risk != "none" for f in found]


# -- training --------------------------------------------------------------------

def test_train_reader_writes_a_pinned_loadable_reader(tmp_path, crisis_training_file):
    data = crisis_training_file(2)
    out = tmp_path / "reader.safetensors"
    assert train_reader.main([str(data), "--out", str(out), "--folds", "2", "--work", str(tmp_path / "work")]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["sha256"] == semantic.sha256_of(out) and meta["rank"] == train_reader.RANK
    assert set(meta["trained"]["cross_validated_whole_detector"]) == {"fixture"}
    assert set(meta["trained"]["nested"]["figures"]) == {"fixture"}
    assert "suicidal" not in out.read_bytes().decode("latin-1")  # weights only, no text
    reader = crisis_reader.load_reader(out, out.with_suffix(".json"))
    try:
        probs = crisis_reader.probabilities(["I feel suicidal again tonight.", "Suicidal hot sauce."], reader)
        assert all(0.0 <= p <= 1.0 for p in probs)
    finally:
        reader.adapters.detach()


def test_training_is_seeded():
    texts = ["so suicidal tonight", "suicidal squirrels", "feeling suicidal again", "the suicidal rate rose"]
    labels = [True, False, True, False]
    runs = []
    for _ in range(2):
        adapters = train_reader.fit(texts, labels, seed=3)
        adapters.detach()
        runs.append(adapters.state())
    assert all((runs[0][k] == runs[1][k]).all() for k in runs[0])
