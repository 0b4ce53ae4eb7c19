"""Stage 4: toxicity — abuse aimed at other people.

Two scorers:

* **Detoxify** (the model): a BERT classifier trained on the Jigsaw data.
  Loaded lazily, once per process, from local files when
  ``KINDRED_DETOXIFY_CHECKPOINT`` + ``KINDRED_DETOXIFY_CONFIG_DIR`` are set,
  or from the cache that ``python -m moderation.detoxify_weights fetch`` fills. At
  ~55 ms a short text (~350 ms for 300 words) on 2 cores it is too slow to
  sit in front of every chat message, so by default it runs as a *second
  opinion* after publication (see ``moderation.second_opinion``).
* **alt-profanity-check** (the offline fallback and the fast first opinion):
  a linear SVM over TF-IDF, trained on the Davidson and Jigsaw data. The
  package's own ``predict_prob`` costs ~4 ms a call in scikit-learn
  overhead, so the same linear model is evaluated here directly from its
  fitted weights (identical scores, tested), in microseconds.

Peer-support nuance, the reason this module is more than a threshold: on
Kindred people swear about their own pain. "I fucking hate myself" and "fuck
my life" are distress (the crisis stage's business), never abuse. So a high
score alone is not enough. A sentence counts as abuse only when it is aimed
at someone else: a second-person target ("you", "ur"), a third-person one
("he", "they"), or an insult noun that names a person or group. First-person
sentences about oneself, untargeted swearing about a situation, and reports
of abuse the writer suffered ("he called me a stupid bitch") are not held.

Threats and identity attacks are also found with patterns, because those
matter most and a linear model misses phrasing such as "I know where you
live".
"""
from __future__ import annotations

import logging
import math
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Sequence

from moderation import settings as model_settings
from moderation.patterns import compile_linear, register_globals
from moderation.settings import DetoxifySettings
from moderation.verdict import Reason

log = logging.getLogger(__name__)

# A clause: up to and including its end punctuation, or a line. Clauses, not
# sentences, so "Fuck my life, you lot are the only ones who get it" splits
# the self-directed swearing from the friendly "you".
_SENTENCE_RE = compile_linear(r"[^.!?\n,;:]+(?:[.!?,;:]+|$)", re.MULTILINE, engine="re",
                              why="the run stops where its ending starts, so nothing after it can fail")
_TOKEN_RE = compile_linear(r"(?u)\b\w\w+\b", engine="re",
                           why="inside a word the first \\b fails at once; at a word start the run is taken whole")

# Only searched for presence; "you'" needs no branch of its own, since
# "you" followed by an apostrophe already ends at a word boundary.
_SECOND_PERSON = compile_linear(r"(?<![\w])(?:you|u|ur|your|yours|youre|yourself|yourselves|ya|yall|y'all|thou)(?![\w])")
# Only searched for presence: "@name" anywhere is a mention, so it is its
# own pattern rather than a branch under the word boundaries.
_THIRD_PERSON = compile_linear(r"(?<![\w])(?:he|she|him|her|they|them|his|hers|their|theirs|himself|herself|"
                               r"themselves|everyone|everybody|people|these|those)(?![\w])")
_MENTION = compile_linear(r"@[\w]")
_FIRST_PERSON = compile_linear(r"(?<![\w])(?:i|me|my|mine|myself|im|i'm|i've|i'd|i'll|ive|we|us|our|ourselves)(?![\w])")
# Nouns that, when used as insults, are aimed at a person or a group even
# without a pronoun ("bitches ain't shit").
_INSULT_NOUN = compile_linear(
    r"(?<![\w])(?:bitch(?:es)?|hoes?|whores?|sluts?|cunts?|twats?|pricks?|dickheads?|bastards?|wankers?|"
    r"niggas?|niggers?|faggots?|fags?|retards?|idiots?|morons?|losers?|scum|trash|pussy|pussies|assholes?)(?![\w])")
_SELF_INSULT = compile_linear(r"(?<![\w])(?:i'?m|i am|im|myself|me|i feel like|i'?m just)\s+(?:such\s+|just\s+|a\s+|an\s+|"
                              r"so\s+|fucking\s+|stupid\s+|useless\s+|worthless\s+|pathetic\s+|fat\s+|ugly\s+)*$")
# The writer reporting abuse they suffered: "he called me a ...", "she told me I'm ...".
_REPORTED = compile_linear(
    r"(?<![\w])(?:call(?:s|ed|ing)?|told|tells|telling|said|says|saying|yell(?:s|ed)|scream(?:s|ed)|"
    r"shout(?:s|ed)|text(?:s|ed)|messag(?:es|ed))\s+(?:me|i|i'm|im|that\s+i|at\s+me)(?![\w])")

# The case-insensitive patterns keep Python's engine: RE2 folds neither "İ"
# nor "ı" to "i" as re.IGNORECASE does, which would change verdicts.
_FOLD_WHY = "re.IGNORECASE folds \u0130 and \u0131 to i and RE2 does not"
_WORDS_WHY = ("; \\w and \\s runs meet only at class borders and every repeat is of words ending in a"
              " space, so a try from one position reads a few words and stops")
# Threats of violence against someone else.
_THREAT = compile_linear(
    r"\b(?:i(?:'ll|ll| will|'m going to|'m gonna|m gonna| am going to| am gonna| gonna| wanna| want to)|"
    r"we(?:'ll| will|'re going to|'re gonna| are going to| gonna))\s+(?:\w+\s+){0,2}?"
    r"(?:kill|murder|stab|shoot|hurt|beat|rape|strangle|punch|smash|batter|find|get)\s+"
    r"(?:you|u|ya|him|her|them|your\b|ur\b)(?!\s*(?:a|an|some|the)\s+(?:coffee|drink|gift|present|card))"
    r"|\bi\s+know\s+where\s+(?:you|u|he|she|they)\s+live\b"
    r"|\bwatch\s+(?:your|ur)\s+back\b"
    r"|\byou(?:'re| are|re)\s+(?:so\s+)?dead(?:\s+meat)?\s*(?:[.!]|$)"
    r"|\b(?:you|u)\s+(?:deserve|need|ought)\s+to\s+(?:be\s+)?(?:shot|stabbed|beaten|raped|hurt|hit)\b",
    re.IGNORECASE | re.MULTILINE, engine="re", why=_FOLD_WHY + _WORDS_WHY)

_GROUPS = (r"(?:gays?|lesbians?|trans(?:gender)?(?: people| women| men)?|queers?|muslims?|jews?|christians?|"
           r"blacks?|whites?|asians?|immigrants?|migrants?|refugees?|foreigners?|mexicans?|arabs?|"
           r"women|men|girls|disabled(?: people)?|autistics?|schizophrenics?|bipolars?|mentally ill(?: people)?|"
           r"gypsies|travellers|indians?|pakistanis?|africans?|chinese)")
# Dehumanising or exclusionary statements about a group.
_IDENTITY = compile_linear(
    rf"\b(?:(?:all|those|these|the|fucking|bloody|typical|filthy|dirty)\s+)?{_GROUPS}\s+"
    r"(?:are|r|should|deserve|need to|must|ought to)\s+(?:all\s+)?(?:be\s+)?(?:\w+\s+)?"
    r"(?:animals?|vermin|rats?|cockroaches|parasites?|subhuman|disgusting|evil|scum|trash|filth|"
    r"die|dead|killed|gassed|shot|deported|exterminated|wiped out|burn|sick|freaks?|abominations?|a disease)\b"
    rf"|\b(?:kill|gas|exterminate|deport|hang|shoot)\s+(?:all\s+)?(?:the\s+)?{_GROUPS}\b"
    rf"|\b(?:i\s+)?hate\s+(?:all\s+)?(?:fucking\s+)?{_GROUPS}\b",
    re.IGNORECASE, engine="re", why=_FOLD_WHY + _WORDS_WHY)

# Direct insults: "you're pathetic", "you are such a loser". Only adjacent
# forms: "you're not worthless" (peer support!) has "not" in between.
_INSULT = compile_linear(
    r"\b(?:you(?:'re| are|re)|ur|u r|you)\s+(?:just\s+)?(?:a\s+|an\s+|such\s+an?\s+|so\s+|fucking\s+|fuckin\s+|"
    r"fkn\s+|bloody\s+|pathetic\s+|stupid\s+|worthless\s+)*"
    r"(?:idiot|moron|loser|pathetic|worthless|stupid|disgusting|waste of (?:space|air|oxygen)|"
    r"piece of (?:shit|crap|trash)|freak|scum|bitch|cunt|twat|dickhead|prick|attention[ -]seeker|"
    r"drama queen|faker|fake|liar|pussy|whore|slut|retard|useless|ugly)\b"
    r"|\b(?:nobody|no one|noone)\s+(?:likes|loves|wants|cares about)\s+(?:you|u)\b"
    r"|\b(?:everyone|everybody)\s+hates\s+(?:you|u)\b"
    r"|\b(?:shut\s+(?:the\s+fuck\s+)?up|stfu|fuck\s+(?:you|u|off)|screw\s+you|go\s+to\s+hell)\b",
    re.IGNORECASE, engine="re", why=_FOLD_WHY + _WORDS_WHY)
# Generic "you" in peer support: "depression tells you you're worthless".
_GENERIC_YOU = compile_linear(r"(?:tells?|telling|makes?|making|convinces?)\s+you\s*$|feel\s+like\s*$|think\s*$|"
                          r"not\s*$|never\s*$|n't\s*$", re.IGNORECASE, engine="re",
                              why=_FOLD_WHY + "; only ever searched in a short window before a match")


@dataclass(frozen=True)
class ToxicityFinding:
    categories: frozenset[str] = frozenset()
    reasons: tuple[Reason, ...] = ()
    scores: dict[str, Any] = field(default_factory=dict)
    scorer: str = "none"


# -- the fast linear scorer ------------------------------------------------------

def _lowers_in_place(text: str, lowered: str) -> bool:
    """Whether ``lowered`` (``text.lower()``) lowers each character to one
    character, on its own: then a clause's slice of it is that clause's own
    ``lower()``. True for ASCII; otherwise no character may grow ("İ"
    lowers to two) and there must be no capital sigma, the one character
    whose lower case depends on its neighbours (final "ς")."""
    return text.isascii() or (len(lowered) == len(text) and "\u03a3" not in text)


class LinearProfanityScorer:
    """alt-profanity-check's fitted model, evaluated directly.

    TF-IDF (l2-normalised) -> 5 calibrated LinearSVCs -> mean of sigmoids.
    Same numbers as ``profanity_check.predict_prob``; ~100x less overhead.
    """

    def __init__(self) -> None:
        import numpy as np
        from profanity_check import profanity_check as pc

        vec, model = pc.vectorizer, pc.model
        if model.method != "sigmoid" or vec.norm != "l2" or vec.sublinear_tf or not vec.lowercase:
            raise RuntimeError("unexpected alt-profanity-check model layout")
        coefs = np.vstack([cc.estimator.coef_.ravel() for cc in model.calibrated_classifiers_])
        self._intercepts = [float(cc.estimator.intercept_[0]) for cc in model.calibrated_classifiers_]
        self._cal = [(float(cc.calibrators[0].a_), float(cc.calibrators[0].b_)) for cc in model.calibrated_classifiers_]
        idf = vec.idf_
        # word -> column; per column: idf and the coefficient of each estimator
        # (plain Python lists: indexing numpy per token would cost more).
        self._index: dict[str, int] = vec.vocabulary_
        self._idf: list[float] = idf.tolist()
        self._coefs: list[list[float]] = coefs.T.tolist()
        from importlib.metadata import version
        self.name = f"alt-profanity-check@{version('alt-profanity-check')}"
        # Per word: w * w and w * c for each estimator when the word occurs
        # once (w = idf), the usual case in a clause. Only for the layout
        # the package ships (five estimators); anything else takes _dots.
        self._unit: list[tuple[float, ...]] | None = None
        if len(self._intercepts) == 5:
            self._unit = [(w * w, *(w * c for c in cs)) for w, cs in zip(self._idf, self._coefs)]
        self._empty: float | None = None
        self._empty = self._score_counts({})

    def score(self, text: str) -> float:
        counts: dict[int, int] = {}
        index = self._index
        for tok in _TOKEN_RE.findall(text.lower()):
            i = index.get(tok)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        return self._score_counts(counts)

    def score_spans(self, text: str, spans: Sequence[tuple[int, int, str]]) -> list[float]:
        """``[score(s) for _, _, s in spans]``, tokenising ``text`` once.

        ``spans`` must be clauses from ``sentences(text)``: a token
        (``\\b\\w\\w+\\b``) never crosses a clause boundary (those are
        punctuation or line breaks), so the tokens inside a span are exactly
        the tokens of the span on its own. Same numbers, same summation order
        (tested). Only when ``lower()`` keeps every offset and lowers each
        clause as it would alone (``_lowers_in_place``); anything else takes
        the per-clause path.
        """
        lowered = text.lower()
        if not _lowers_in_place(text, lowered):
            return [self.score(s) for _, _, s in spans]
        get = self._index.get
        findall = _TOKEN_RE.findall
        out: list[float] = []
        for start, end, _ in spans:
            # findall with pos/endpos: no slice copied. The characters either
            # side of a clause are never word characters, so \b behaves
            # exactly as it does on the clause alone.
            counts: dict[int, int] = {}
            for tok in findall(lowered, start, end):
                i = get(tok)
                if i is not None:
                    counts[i] = counts.get(i, 0) + 1
            out.append(self._score_counts(counts))
        return out

    def _score_counts(self, counts: dict[int, int]) -> float:
        # Same operations in the same order as the straightforward loops
        # (``dots[k] += w * cs[k]`` token by token), so the same floats.
        if not counts and self._empty is not None:  # a clause with no known word: a constant
            return self._empty
        if self._unit is not None:
            dots, sq = self._dots5(counts)
        else:
            dots, sq = self._dots(counts)
        norm = math.sqrt(sq) if counts else 1.0
        total = 0.0
        exp = math.exp
        for d, ic, (a, b) in zip(dots, self._intercepts, self._cal):
            z = a * (d / norm + ic) + b
            total += 1.0 / (1.0 + exp(z)) if z < 500 else 0.0
        return total / len(self._intercepts)

    def _dots(self, counts: dict[int, int]) -> tuple[list[float], float]:
        dots = [0.0] * len(self._intercepts)
        sq = 0.0
        idf, coefs = self._idf, self._coefs
        for i, tf in counts.items():
            w = tf * idf[i]
            sq += w * w
            dots = [d + w * c for d, c in zip(dots, coefs[i])]
        return dots, sq

    def _dots5(self, counts: dict[int, int]) -> tuple[list[float], float]:
        """``_dots`` for the five estimators alt-profanity-check ships, in
        locals instead of a new list per token. A word seen once has w =
        idf exactly (1 * x == x), so its w * w and w * c come precomputed
        from ``_unit``: the same products, computed once at load time."""
        d0 = d1 = d2 = d3 = d4 = sq = 0.0
        unit, idf, coefs = self._unit, self._idf, self._coefs
        for i, tf in counts.items():
            if tf == 1:
                ww, c0, c1, c2, c3, c4 = unit[i]
            else:
                w = tf * idf[i]
                ww = w * w
                k0, k1, k2, k3, k4 = coefs[i]
                c0, c1, c2, c3, c4 = w * k0, w * k1, w * k2, w * k3, w * k4
            sq += ww
            d0 += c0
            d1 += c1
            d2 += c2
            d3 += c3
            d4 += c4
        return [d0, d1, d2, d3, d4], sq

    def score_many(self, texts: Sequence[str]) -> list[float]:
        return [self.score(t) for t in texts]


# -- Detoxify ------------------------------------------------------------------------

def torch_threads(requested: int | None = None) -> int:
    """Set torch's intra-op thread count explicitly. Left alone, torch uses
    every core per call, and several web/worker threads doing that at once
    thrash the CPU; two threads is the measured sweet spot on the target
    2-core machines."""
    import torch

    n = requested or model_settings.current().torch_threads or min(2, os.cpu_count() or 1)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


# The file names of Detoxify's published checkpoints (the last part of
# ``detoxify.detoxify.MODEL_URLS``; a test keeps the two in step). Knowing
# them here means checking for a cached download doesn't import torch and
# transformers, which costs seconds and hundreds of MB in a web process that
# will never load the model.
CHECKPOINT_FILES = {
    "original": "toxic_original-c1212f89.ckpt",
    "unbiased": "toxic_debiased-c7548aa0.ckpt",
    "multilingual": "multilingual_debiased-0b549669.ckpt",
    "original-small": "original-albert-0e1d6498.ckpt",
    "unbiased-small": "unbiased-albert-c8519128.ckpt",
}


def torch_hub_dir() -> str:
    """Where ``torch.hub`` caches downloads (same rule as ``torch.hub.get_dir``)."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch")
    return os.path.join(os.path.expanduser(torch_home), "hub")


def cached_checkpoint(model_type: str) -> str | None:
    """The path where Detoxify's download for ``model_type`` is cached, if present."""
    name = CHECKPOINT_FILES.get(model_type)
    if not name:
        return None
    path = os.path.join(torch_hub_dir(), "checkpoints", name)
    return path if os.path.exists(path) else None


class DetoxifyScorer:
    """The real Detoxify model, loaded through ``detoxify.Detoxify``."""

    def __init__(self, settings: DetoxifySettings) -> None:
        from detoxify import Detoxify

        torch_threads(settings.threads)
        if settings.checkpoint:
            if not settings.config_dir:
                raise RuntimeError("KINDRED_DETOXIFY_CHECKPOINT needs KINDRED_DETOXIFY_CONFIG_DIR "
                                   "(the transformer's config and tokenizer, for offline loading)")
            self.model = Detoxify(checkpoint=settings.checkpoint, huggingface_config_path=settings.config_dir)
            self.name = f"detoxify:{os.path.basename(settings.checkpoint)}"
        else:
            # Downloads and caches on first use (or uses the cache that
            # `python -m moderation.detoxify_weights fetch` filled).
            self.model = Detoxify(settings.model_type)
            self.name = f"detoxify:{settings.model_type}"
        self._lock = threading.Lock()

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        with self._lock:  # a torch module is not safe to call from threads at once
            out = self.model.predict(list(texts))
        keys = list(out)
        n = len(texts)
        rows = []
        for i in range(n):
            rows.append({k: float(out[k][i] if isinstance(out[k], list) else out[k]) for k in keys})
        return rows


_lock = threading.Lock()
_fast: LinearProfanityScorer | None = None
_fast_error: str | None = None
_full: DetoxifyScorer | None = None
_full_error: str | None = None


def fast_scorer() -> LinearProfanityScorer | None:
    global _fast, _fast_error
    if _fast is None and _fast_error is None:
        with _lock:
            if _fast is None and _fast_error is None:
                try:
                    _fast = LinearProfanityScorer()
                except Exception as exc:  # the rules still run without it
                    log.exception("alt-profanity-check unavailable")
                    _fast_error = f"unavailable: {type(exc).__name__}: {exc}"
    return _fast


def detoxify_configured(settings: DetoxifySettings | None = None) -> bool:
    s = settings or model_settings.current().detoxify
    return bool(s.checkpoint) or s.allow_download or cached_checkpoint(s.model_type) is not None


def full_scorer(settings: DetoxifySettings | None = None) -> DetoxifyScorer | None:
    """Detoxify if weights are available, else None. Loaded once."""
    global _full, _full_error
    if _full is None and _full_error is None:
        s = settings or model_settings.current().detoxify
        if not detoxify_configured(s):
            return None
        with _lock:
            if _full is None and _full_error is None:
                try:
                    _full = DetoxifyScorer(s)
                except Exception as exc:
                    log.exception("Detoxify could not be loaded; using the offline fallback")
                    _full_error = f"unavailable: {type(exc).__name__}: {exc}"
    return _full


def reset() -> None:
    """Forget the loaded Detoxify model (after changing its settings; tests)."""
    global _full, _full_error, _info_cache
    with _lock:
        _full = _full_error = _info_cache = None


_info_cache: tuple[tuple[Any, ...], dict[str, str]] | None = None


def engine_info() -> dict[str, str]:
    """Which toxicity scorers are active. Cached: it is part of every verdict,
    and checking for cached weights touches the file system."""
    global _info_cache
    fast = fast_scorer()
    key = (id(fast), id(_full), _fast_error, _full_error)
    if _info_cache is not None and _info_cache[0] == key:
        return _info_cache[1]
    info = {"toxicity_fast": fast.name if fast else (_fast_error or "unavailable")}
    if _full is not None:
        info["toxicity_model"] = _full.name
    elif _full_error:
        info["toxicity_model"] = _full_error
    else:
        info["toxicity_model"] = ("detoxify: configured, not loaded" if detoxify_configured()
                                  else "detoxify: no weights (offline fallback active)")
    _info_cache = (key, info)
    return info


# -- analysis ----------------------------------------------------------------------------

def sentences(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _SENTENCE_RE.finditer(text) if m.group().strip()]


def target(sentence: str) -> str:
    """Who a sentence is aimed at: "other", "self" or "none"."""
    s = sentence.lower()
    if _REPORTED.search(s):
        return "reported"
    if _SECOND_PERSON.search(s) or _THIRD_PERSON.search(s) or _MENTION.search(s):
        return "other"
    for m in _INSULT_NOUN.finditer(s):
        # "I'm such a stupid bitch" is self-talk; "broke bitch can't tell me
        # nothing" is aimed at someone.
        if not _SELF_INSULT.search(s[max(0, m.start() - 30):m.start()]):
            return "other"
    if _FIRST_PERSON.search(s):
        return "self"
    return "none"


def _reason(code: str, text: str, start: int, end: int, explanation: str) -> Reason:
    return Reason(code, start, end, text[start:end][:200], explanation)


# Cheap pre-checks: each pattern can only match when the text contains one
# of these words, and a set intersection costs far less than a
# case-insensitive scan with long alternations.
_WORDS_RE = compile_linear(r"[a-z]+", engine="re", why="one character class: nothing to backtrack into")
_TARGET_WORDS = frozenset("you u ya yall him her them your ur he she they".split())
_THREAT_WORDS = frozenset("kill murder stab shoot hurt beat rape strangle punch smash batter find get live back "
                          "dead shot stabbed beaten raped hit".split())
_GROUP_WORDS = frozenset(_WORDS_RE.findall(_GROUPS))
_INSULT_WORDS = frozenset({"stfu", "shut", "hell", "off"})  # the forms without "you"
# Stricter gates, one per pattern, derived from the words each alternative
# cannot match without (every one is a whole word in a match). A regex with
# long alternations costs ~0.1-0.4 ms on a 300-word post; a set test costs
# ~1 us. Not applied to text holding one of the four non-ASCII letters
# that re.IGNORECASE matches to ASCII ones ("İ", "ı", "ſ" for "s",
# the Kelvin sign for "k"; checked over every code point), which a
# lower-cased word set would not see. Equivalence is tested.
_CASELESS_ASCII_RE = compile_linear("[\u0130\u0131\u017f\u212a]", engine="re", why="one character")
_IDENTITY_GATE = frozenset("are r should deserve need must ought kill gas exterminate deport hang shoot hate".split())
_INSULT_GATE = frozenset(
    "idiot moron loser pathetic worthless stupid disgusting waste piece freak scum bitch cunt twat dickhead "
    "prick attention drama faker fake liar pussy whore slut retard useless ugly "
    "likes loves wants cares hates shut stfu fuck screw hell".split())


def pattern_findings(text: str) -> list[Reason]:
    """Threats, identity attacks and direct insults found by pattern."""
    out: list[Reason] = []
    words = set(_WORDS_RE.findall(text.lower()))
    gated = text.isascii() or not _CASELESS_ASCII_RE.search(text)
    targeted = not words.isdisjoint(_TARGET_WORDS)
    if targeted and not words.isdisjoint(_THREAT_WORDS):
        for m in _THREAT.finditer(text):
            out.append(_reason("abuse.threat", text, m.start(), m.end(), "Threatens someone with harm."))
    if not words.isdisjoint(_GROUP_WORDS) and (not gated or not words.isdisjoint(_IDENTITY_GATE)):
        for m in _IDENTITY.finditer(text):
            out.append(_reason("abuse.identity", text, m.start(), m.end(), "Attacks people for who they are."))
    insult = ((targeted or not words.isdisjoint(_INSULT_WORDS))
              and (not gated or not words.isdisjoint(_INSULT_GATE)))
    for m in _INSULT.finditer(text) if insult else ():
        before = text[max(0, m.start() - 25):m.start()]
        if _GENERIC_YOU.search(before):
            continue
        out.append(_reason("abuse.toxic", text, m.start(), m.end(), "Insults or harasses another person."))
    return out


def _fast_scores(text: str, sents: list[tuple[int, int, str]], own_spans: bool, threshold: float
                 ) -> tuple[str, float, list[tuple[tuple[int, int, str], dict[str, float]]]]:
    """The linear scorer's name, its highest clause score (0.0 at least) and
    the clauses it scores at or over ``threshold``: it gives no threat or
    identity score, so no other clause can give a reason."""
    fast = fast_scorer()
    if fast is None:
        return "rules", 0.0, []
    # Clauses found by analyse share one tokenising pass; spans handed in by
    # a caller are scored one by one (no assumption about them).
    scores = fast.score_spans(text, sents) if own_spans else [fast.score(s) for _, _, s in sents]
    flagged = [(s, {"toxicity": sc}) for s, sc in zip(sents, scores) if sc >= threshold]
    return fast.name, max(0.0, max(scores, default=0.0)), flagged


def analyse(text: str, *, threshold: float = 0.8, model_scores: Sequence[dict[str, float]] | None = None,
            spans: Sequence[tuple[int, int, str]] | None = None, judgement: Any = None) -> ToxicityFinding:
    """Toxicity for one cleaned text.

    Without ``model_scores`` the fast linear scorer scores each sentence.
    With them (Detoxify's per-sentence outputs, same order as ``spans``),
    those are used instead. With ``judgement`` (the learned abuse judge's
    reading, ``abuse.judge_many``) the judge decides instead of the
    profanity scorer: see ``_judged``.
    """
    if judgement is not None and model_scores is None:
        return _judged(text, judgement)
    reasons = pattern_findings(text)
    sents = list(spans) if spans is not None else sentences(text)
    if model_scores is None:
        scorer_name, max_score, scored = _fast_scores(text, sents, spans is None, threshold)
    else:
        scorer_name = (_full.name if _full else "detoxify")
        max_score, scored = 0.0, list(zip(sents, model_scores))
    for (start, end, sent), sc in scored:
        tox = max(sc.get("toxicity", 0.0), sc.get("insult", 0.0), sc.get("severe_toxicity", 0.0))
        max_score = max(max_score, tox)
        if tox < threshold and sc.get("threat", 0.0) < 0.5 and sc.get("identity_attack", 0.0) < 0.5:
            continue
        if target(sent) != "other":
            # Self-directed distress, untargeted swearing and reported abuse
            # are not abuse. (Crisis screening sees all of these.)
            continue
        if sc.get("threat", 0.0) >= 0.5:
            reasons.append(_reason("abuse.threat", text, start, end, "The toxicity model reads this as a threat."))
        if sc.get("identity_attack", 0.0) >= 0.5:
            reasons.append(_reason("abuse.identity", text, start, end,
                                   "The toxicity model reads this as an attack on a group."))
        if tox >= threshold:
            reasons.append(_reason("abuse.toxic", text, start, end,
                                   f"Abusive language aimed at someone else (score {tox:.2f})."))
    cats = frozenset(r.code for r in reasons)
    return ToxicityFinding(categories=cats, reasons=tuple(reasons),
                           scores={"toxicity": round(max_score, 4)}, scorer=scorer_name)


def _judged(text: str, judgement: Any) -> ToxicityFinding:
    """The learned judge's reasons, plus the threat patterns: a threat is
    held whatever the judge makes of it ("I know where you live" needs no
    model to be taken seriously). The identity and insult patterns are not
    used here: they match the hate that counter-speech quotes, which the
    judge reads in its context. The profanity score is kept for the record
    (and the judge reads it as one of its inputs)."""
    from moderation import abuse

    reasons = [r for r in pattern_findings(text) if r.code == "abuse.threat"]
    reasons.extend(judgement.reasons)
    reasons.extend(judgement.reclaimed)
    fast = fast_scorer()
    scores: dict[str, Any] = {"toxicity": round(max((fast.score(s) for _, _, s in sentences(text)), default=0.0), 4)
                              if fast else 0.0}
    scores.update({f"judge.{k}": v for k, v in judgement.scores.items()})
    name = f"abuse-judge:{abuse.describe()}" + (f"+{fast.name}" if fast else "")
    return ToxicityFinding(categories=frozenset(r.code for r in reasons), reasons=tuple(reasons), scores=scores,
                           scorer=name)


def analyse_with_model(text: str, *, threshold: float = 0.8) -> ToxicityFinding | None:
    """The second opinion: Detoxify per sentence. None without weights."""
    scorer = full_scorer()
    if scorer is None:
        return None
    sents = sentences(text)
    scores = scorer.predict([s for _, _, s in sents]) if sents else []
    finding = analyse(text, threshold=threshold, model_scores=scores, spans=sents)
    peaks: dict[str, float] = {}
    for row in scores:
        for k, v in row.items():
            peaks[k] = max(peaks.get(k, 0.0), v)
    return ToxicityFinding(finding.categories, finding.reasons,
                           {k: round(v, 4) for k, v in peaks.items()}, scorer.name)


register_globals(__name__, globals())
