"""The learned abuse judge: a small trained head over the shared MiniLM
encoder that reads each of the encoder's windows of a text (the whole of a
short text, a few sentences of a long one: the windows the crisis judge
reads, so one encoding pass serves both) and gives calibrated probabilities
for

* ``abuse.identity``      attacks on people for who they are;
* ``abuse.threat``        threats of violence against anyone;
* ``abuse.toxic``         insults and harassment aimed at a person;
* ``harm.encouragement``  urging someone to hurt or kill themselves.

Why a learned judge: the offline fallback before it was a profanity
detector, which held swearing and missed polite hate ("X are never going to
be real doctors") and hate spelled to slip past it. The head is trained on
the licensed hate-speech sets in ``../shared/data``, licensed ordinary and
distress text (chat, health questions, forum posts, violent words used
harmlessly) and the train split of Kindred's own suite
(``moderation.tools.train_abuse``; datasets, licences and figures are in
``data/abuse_head.json``). Text in a language other than English is left
to the rules: the head learnt English only.

Who a window is aimed at is part of what the head reads: besides the
embedding it gets the rules' reading of the target (``toxicity.target``:
someone else, the writer, a report of abuse the writer suffered, nobody),
whether the window quotes something, and the profanity score. And it is a
rule, not a learned preference, that an insult is abuse only when it is
aimed at someone else: swearing about oneself or one's situation is
distress (the crisis stage's business), never abuse.

Obfuscation: every window is also read as ``respell.respell`` spells it
(spaced, joined, swapped or deleted letters, leetspeak undone), and the
higher reading counts; the reason then says what the disguised words spell.

Reclaimed in-group usage ("as a queer woman I call my friends queers") is
not abuse; where a slur appears in a window the head does not hold, the
finding ``slur.reclaimed`` is returned, which the default policy ignores
and the strict (young people's) profile flags for a moderator.

Fail safe: if the encoder or the head file is unavailable the judge returns
None and ``toxicity``'s rules and profanity scorer run as before; if it
raises, screening marks the toxicity stage failed and holds the text.
"""
from __future__ import annotations

import contextlib
import html
import json
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from moderation import settings as model_settings
from moderation.patterns import compile_linear, register_globals
from moderation.verdict import Reason

log = logging.getLogger(__name__)

LABELS = ("abuse.identity", "abuse.threat", "abuse.toxic", "harm.encouragement")

HEAD_FILE = Path(__file__).with_name("data") / "abuse_head.json"
WEIGHTS_FILE = Path(__file__).with_name("data") / "abuse_head.safetensors"
FEATURES = "minilm384-window+target4+quote1+group1+profanity1"
N_RULE_FEATURES = 7
# Long posts: at most this many windows are read, so one essay cannot
# stall screening (the rules and profanity scorer still read all of it).
MAX_WINDOWS = 16

_SENTENCE_RE = compile_linear(r"[^.!?\n]+[.!?]*")
_QUOTE_RE = compile_linear("[\"\u201c\u201d\u2018\u2019]|(?:^|\\s)'|'(?:\\s|$|[.,!?])")
_WORD_RE = compile_linear(r"[a-z]+")
# A quotation: double or curly quotes, or single quotes opening after a
# space (so "don't" opens nothing).
_QUOTED_RE = compile_linear("\"[^\"\n]{2,240}\"|\u201c[^\u201d\n]{2,240}\u201d|\u2018[^\u2019\n]{2,240}\u2019|"
                            "(?:^|[\\s(])'[^'\n]{2,240}'")
_URL_RE = compile_linear(r"https?://\S+|www\.\S+")
_MENTION_RE = compile_linear(r"@\w+")
_SPACE_RE = compile_linear(r"\s+")
_SLUR_WORDS = frozenset(
    "tranny trannies faggot faggots fag fags dyke dykes nigger niggers nigga niggas retard retards retarded "
    "kike kikes spic spics chink chinks paki pakis queer queers cripple cripples crip crips spaz spastic "
    "spastics gimp gimps tard tards homo homos bitch bitches slut sluts whore whores".split())

EXPLAIN = {
    "abuse.identity": "Reads as an attack on people for who they are",
    "abuse.threat": "Reads as a threat of violence against someone",
    "abuse.toxic": "Reads as an insult or harassment aimed at another person",
    "harm.encouragement": "Reads as urging someone to hurt or kill themselves",
}


def prep(text: str) -> str:
    """What the judge reads: entities decoded, links and @names replaced by
    placeholders (a name is not evidence of anything), spaces collapsed.
    Training (``moderation.tools.abuse_data``) reads its items through this
    same function."""
    text = html.unescape(text)
    text = _URL_RE.sub("http", text)
    text = _MENTION_RE.sub("@user", text)
    return _SPACE_RE.sub(" ", text).strip()


@dataclass(frozen=True)
class Judgement:
    """One text's reading: the reasons to act on, and the highest
    probability per output (for the verdict's scores)."""

    reasons: tuple[Reason, ...]
    scores: dict[str, float]
    reclaimed: tuple[Reason, ...] = ()


class Head:
    """Two dense layers over the window's features; numpy at run time."""

    def __init__(self, meta: dict[str, Any], tensors: dict[str, Any]) -> None:
        self.meta = meta
        self.w1, self.b1 = tensors["w1"], tensors["b1"]
        self.w2, self.b2 = tensors["w2"], tensors["b2"]
        self.temperature = [float(t) for t in meta["temperature"]]
        self.thresholds = {k: float(v) for k, v in meta["thresholds"].items()}
        self.version = meta["version"]

    def probabilities(self, x):
        import numpy as np

        h = np.maximum(x @ self.w1.T + self.b1, 0.0)
        z = (h @ self.w2.T + self.b2) / np.asarray(self.temperature, dtype=x.dtype)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


_lock = threading.Lock()
_state: dict[str, Any] = {"loaded": False, "head": None, "why": "not loaded yet"}


def _load_head() -> Head | None:
    if _state["loaded"]:
        return _state["head"]
    with _lock:
        if not _state["loaded"]:
            try:
                meta = json.loads(HEAD_FILE.read_text(encoding="utf-8"))
                if meta.get("features") != FEATURES:
                    raise ValueError(f"{HEAD_FILE.name} was trained on {meta.get('features')}, not {FEATURES}")
                from safetensors.numpy import load_file

                _state.update(head=Head(meta, load_file(str(WEIGHTS_FILE))), why="")
            except Exception as exc:  # the rules still run without it
                log.warning("abuse judge unavailable: %s", exc)
                _state.update(head=None, why=f"{type(exc).__name__}: {exc}")
            _state["loaded"] = True
    return _state["head"]


def enabled() -> bool:
    """Whether screen() consults the judge (``abuse_judge``, off by default).

    Off until it holds fewer harmless posts: a member whose ordinary post is
    held waits for a person, and a queue full of false holds buries the
    crisis items moderators must see first. Evaluation switches it on to
    measure it (docs/moderation.md, "Abuse detection", has the figures).
    """
    return model_settings.current().abuse_judge


def available() -> bool:
    from moderation import semantic

    return _load_head() is not None and semantic.available()


def describe() -> str:
    if not _state["loaded"]:
        return "not loaded yet"
    head = _state["head"]
    return head.version if head is not None else f"unavailable: {_state['why']}"


def reset() -> None:
    with _lock:
        _state.update(loaded=False, head=None, why="not loaded yet")


@contextlib.contextmanager
def switched_off(off: bool = True) -> Iterator[None]:
    """The judge off for a while (the bench times screen() without it)."""
    if not off:
        yield
        return
    _load_head()
    with _lock:
        saved = dict(_state)
        _state.update(loaded=True, head=None, why="switched off")
    try:
        yield
    finally:
        with _lock:
            _state.update(saved)


def windows(text: str) -> list[tuple[int, int, str]]:
    """What the judge reads: the shared encoder's windows (a short text
    whole, a longer one a few sentences at a time), as (start, end, words).
    The crisis judge reads the same windows, so one encoding pass serves
    both."""
    from moderation import encoder

    if not text.strip():
        return []
    return [(a, b, w) for (a, b), w in zip(encoder.window_spans(text), encoder.windows(text))]


def rule_features(window: str) -> list[float]:
    """What the rules read in a window, as the head's extra inputs."""
    from moderation import toxicity

    t = toxicity.target(window)
    onehot = [float(t == k) for k in ("other", "self", "reported", "none")]
    words = set(_WORD_RE.findall(window.lower()))
    fast = toxicity.fast_scorer()
    prof = fast.score(window) if fast is not None else 0.0
    return [*onehot, float(bool(_QUOTE_RE.search(window))),
            float(not words.isdisjoint(toxicity._GROUP_WORDS)), float(prof)]


def features(embeddings, windows_text: Sequence[str]):
    import numpy as np

    rules = np.asarray([rule_features(w) for w in windows_text], dtype="float32").reshape(-1, N_RULE_FEATURES)
    return np.concatenate([np.asarray(embeddings, dtype="float32").reshape(-1, 384), rules], axis=1)


CERTAIN = 0.97


def _insulting(read: str) -> bool:
    from moderation import toxicity

    fast = toxicity.fast_scorer()
    return bool(toxicity._INSULT.search(read)) or (fast is not None and fast.score(read) >= 0.5)


def _embed(sentences: list[str]):
    from moderation import encoder

    return encoder.embed_sentences(sentences)


def _readable(text: str) -> bool:
    """The head learnt English only: on text the language stage cannot read
    it would be guessing, so there the rules and profanity scorer decide
    (and the language stage sends the text to a moderator anyway)."""
    from moderation import language

    try:
        return language.CODE not in language.assess(text).categories
    except Exception:  # the language stage reports its own failure
        return True


def judge_many(texts: Sequence[str], head: Head | None = None) -> list[Judgement | None] | None:
    """Read a batch of cleaned texts; None when the judge is unavailable,
    and None for a text in a language it cannot read. The windows as
    written come from the shared encoder's cache (``encoder.
    window_embeddings``: the crisis judge's pass, or one pass for the
    batch); only respelled and unquoted readings are encoded here."""
    import numpy as np

    from moderation import encoder, respell, semantic, toxicity

    head = head or _load_head()
    if head is None or not semantic.available():
        return None
    readable = [_readable(t) for t in texts]
    live = [i for i, ok in enumerate(readable) if ok]
    embs = dict(zip(live, encoder.window_embeddings([texts[i] for i in live]))) if live else {}
    # Per window, up to three readings: as written, respelled (the higher
    # of the two counts) and with its quotations set aside (then the lower
    # counts: hate the writer only quotes is someone else's words, which is
    # how counter-speech and reports of abuse read).
    rows: list[tuple[int, int, int, str, str]] = []  # text, start, end, what is read, which reading
    vectors: list[Any] = []  # the plain reading's embedding, or None: encode it here
    for i in live:
        for k, (start, end, win) in enumerate(windows(texts[i])[:MAX_WINDOWS]):
            read = prep(win)
            rows.append((i, start, end, read, "plain"))
            vectors.append(embs[i][k] if k < len(embs[i]) else None)
            fixed = respell.respell(read)
            if fixed != " ".join(read.lower().split()):
                rows.append((i, start, end, fixed, "respelled"))
                vectors.append(None)
            unquoted = _QUOTED_RE.sub(" that", read)
            if unquoted != read and unquoted.strip(" that.,!?"):
                rows.append((i, start, end, unquoted, "unquoted"))
                vectors.append(None)
    if not rows:
        return [Judgement((), {k: 0.0 for k in LABELS}) if ok else None for ok in readable]
    todo = [k for k, v in enumerate(vectors) if v is None]
    if todo:
        for k, v in zip(todo, _embed([rows[k][3] for k in todo])):
            vectors[k] = v
    reads = [r[3] for r in rows]
    probs = head.probabilities(features(np.stack(vectors), reads)).tolist()
    per_window: dict[tuple[int, int, int], dict[str, tuple[str, list[float]]]] = {}
    for (i, start, end, read, how), p in zip(rows, probs):
        per_window.setdefault((i, start, end), {})[how] = (read, p)
    reasons: list[list[Reason]] = [[] for _ in texts]
    best: list[dict[str, float]] = [{k: 0.0 for k in LABELS} for _ in texts]
    slur_spans: list[list[tuple[int, int]]] = [[] for _ in texts]
    for (i, start, end), readings in per_window.items():
        text = texts[i]
        plain, p_plain = readings["plain"]
        aimed = toxicity.target(plain)
        for k, label in enumerate(LABELS):
            prob, spelled = p_plain[k], None
            if "respelled" in readings and readings["respelled"][1][k] > prob:
                spelled, prob = readings["respelled"][0], readings["respelled"][1][k]
            if "unquoted" in readings:
                prob = min(prob, readings["unquoted"][1][k])
            if label == "harm.encouragement" and aimed in ("self", "reported"):
                # "I want to die" is the writer's own feeling (the crisis
                # stage reads it); urging is aimed at someone else.
                prob = min(prob, head.thresholds[label] * 0.99)
            if label == "abuse.toxic" and prob < CERTAIN and not _insulting(spelled or plain):
                # The head alone over-reads short second-person replies
                # ("you are not alone in this"): on a peer-support forum
                # those are the kind replies, so an insult needs the
                # profanity scorer or an insult pattern to agree.
                prob = min(prob, head.thresholds[label] * 0.99)
            if label == "abuse.toxic" and aimed != "other":
                # An insult is abuse only when aimed at someone else:
                # swearing at oneself or one's week is distress, and a
                # quote of what one was called is a report.
                prob = min(prob, head.thresholds[label] * 0.99)
            best[i][label] = max(best[i][label], round(float(prob), 4))
            if prob < head.thresholds[label]:
                continue
            why = f"{EXPLAIN[label]} (judge probability {prob:.2f})"
            if spelled is not None:
                why += f", once its disguised spelling is read as \"{spelled[:80]}\""
            reasons[i].append(Reason(label, start, end, text[start:end][:200], why + "."))
        if not set(_WORD_RE.findall(plain.lower())).isdisjoint(_SLUR_WORDS):
            slur_spans[i].append((start, end))
    out: list[Judgement | None] = []
    for i, text in enumerate(texts):
        if not readable[i]:
            out.append(None)
            continue
        held = {r.start for r in reasons[i]}
        reclaimed = tuple(Reason("slur.reclaimed", s, e, text[s:e][:200],
                                 "Uses a slur in a way the judge does not read as an attack (for example "
                                 "in-group or reclaimed usage); shown for boards whose policy flags it.")
                          for s, e in slur_spans[i] if s not in held)
        out.append(Judgement(tuple(sorted(reasons[i], key=lambda r: (r.start, r.code))), best[i], reclaimed))
    return out


register_globals(__name__, globals())
