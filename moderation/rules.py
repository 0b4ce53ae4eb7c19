"""Stage 2: watched words and patterns, in the manner of Discourse.

A ``RuleSet`` is a plain object built from data (``data/rules.json`` by
default), so the forum's admins can edit rules and hand the engine a new
set without touching code. Each rule has an action:

``block``            refuse the text, with the rule's explanation as the error;
``hold``             keep it for a moderator before anyone else sees it;
``flag``             publish, and ask a moderator to look;
``content_warning``  publish behind the rule's warning;
``replace``          publish with the matched words replaced.

Word matching works on a folded view of the text (see ``normalise.fold``)
and respects word boundaries: "class" never matches "ass". It sees through
leetspeak ("@$$"), repeated letters ("fuuuck"), and letters separated by
spaces or punctuation ("f u c k", "f.u.c.k", "s-h-i-t").

Speed matters (every chat message passes through here), so the common case
is a set intersection done in C: the folded text with repeated letters
squeezed is split into words and intersected with the squeezed watched
words. Only candidates are then confirmed, with a per-word regex that also
checks the repeat counts ("as" squeezes like "ass" but is not "ass").
"""
from __future__ import annotations

import functools
import itertools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable, Iterator

from moderation.normalise import Folded, fold, unleet
from moderation.patterns import NotLinear, compile_linear, escape, register_globals

ACTIONS = ("block", "hold", "flag", "content_warning", "replace")
# Endings accepted after a watched word ("slurs", "purging", "retarded").
SUFFIXES = ("", "s", "es", "ed", "d", "ing", "er", "ers", "y")

_WORD_RE = compile_linear(r"\w+", engine="re", why="one character class: nothing to backtrack into")
# Obfuscation by separators, found in one scan: a letter, 1-3 separator
# characters, a letter. Either punctuation inside a word ("fu.ck", "s-h-i-t",
# "n1**er" once leet is folded) or single letters spaced out ("f u c k").
# Apostrophes are not separators: "it's hit" must never read as "shit".
_SEPARATED_RE = compile_linear(r"\w[^\w\s'\u2019]{1,3}\w|(?<!\w)\w[^\w\n'\u2019]{1,3}\w(?!\w)",
                               engine="re", why="a lookaround on one branch (RE2 cannot); each try reads at most five characters")
_PUNCT_JOIN_RE = compile_linear(r"\w[^\w\s'\u2019]{1,3}\w", engine="re",
                                why="fixed classes, at most five characters a try")
# Expanded around each hit: the whole run of words joined by punctuation
# (no spaces), or the whole run of spaced-out single letters.
_JOINED_RE = compile_linear(r"\w+(?:[^\w\s'\u2019]{1,3}\w+)+")
# Run only inside a window of about 120 characters around a hit, which is
# what bounds Python's engine here (RE2 lacks the inner lookahead).
_SPACED_RE = compile_linear(r"(?<!\w)\w(?:[^\w\n'\u2019]{1,3}\w(?!\w)){2,}",
                            engine="re", why="a lookahead inside a repeat; one letter per step, so a try is linear in its run",
                            tail=200)
# Where a punctuation join can start: the character before a separator
# that follows a word character and comes within three characters of the
# next word character. Searched from the separator, so re skips through
# the letters instead of trying _PUNCT_JOIN_RE at each one. For ASCII text
# the separators are spelled out as ranges (a bitmap test: \x1c-\x1f are
# whitespace to re, the apostrophe is excluded as above).
_JOIN_AT_RE = compile_linear(r"[^\w\s'\u2019](?<=\w.)(?=[^\w\s'\u2019]{0,2}\w)", engine="re",
                             why="a lookaround in the middle; each try reads at most four characters")
_ASCII_SEP = r"\x00-\x08\x0e-\x1b!-&(-/:-@\[-^`{-\x7f"
_JOIN_AT_ASCII_RE = compile_linear(rf"[{_ASCII_SEP}](?<=\w.)(?=[{_ASCII_SEP}]{{0,2}}\w)", engine="re",
                                   why="a lookaround in the middle; each try reads at most four characters")
_NONWORD_RE = compile_linear(r"[\W_]+", engine="re", why="one character class: nothing to backtrack into")
_ONE_WORD_CHAR_RE = compile_linear(r"\w", engine="re", why="one character")
# One-letter words that occur in ordinary text ("a", "I", and the tails of
# contractions: it's, don't, I'm, I'd).
_COMMON_SINGLE = frozenset("aistmd")
_RARE_ASCII_SINGLES = frozenset(c for c in map(chr, range(128)) if _ONE_WORD_CHAR_RE.match(c)) - _COMMON_SINGLE
# token -> token with repeated letters squeezed. Word use is Zipfian, so a
# bounded cache answers almost every lookup after warm-up and saves a
# back-referencing regex pass over every text.
_SQUEEZED: dict[str, str] = {}
_SQUEEZED_MAX = 200_000


# ASCII characters that are not word characters, mapped to spaces: after
# that, str.split() (C) cuts an ASCII text into exactly its \w+ runs.
_ASCII_NONWORD_TO_SPACE = str.maketrans({c: " " for c in map(chr, range(128)) if not _ONE_WORD_CHAR_RE.match(c)})


def _word_set(text: str) -> set[str]:
    r"""``set(_WORD_RE.findall(text))``, about twice as fast on ASCII text.
    A \w+ run never crosses whitespace, so each run lies inside one split
    piece; a piece of word characters only (``isalnum``) is a whole run, and
    the rare others (with an "_") are split by the regex itself."""
    if not text.isascii():  # str.translate has no fast path for it
        return set(_WORD_RE.findall(text))
    words = set(text.translate(_ASCII_NONWORD_TO_SPACE).split())
    odd = [w for w in words if not w.isalnum()] if "_" in text else ()
    if odd:
        words.difference_update(odd)
        for w in odd:
            words.update(_WORD_RE.findall(w))
    return words


def _squeezed_tokens(text: str) -> set[str]:
    cache = _SQUEEZED
    uniq = _word_set(text)
    try:  # every token seen before: one C-level pass
        return set(map(cache.__getitem__, uniq))
    except KeyError:
        pass
    out = set()
    for tok in uniq:
        sq = cache.get(tok)
        if sq is None:
            if len(cache) >= _SQUEEZED_MAX:
                cache.clear()
            sq = cache[tok] = _squeeze(tok)
        out.add(sq)
    return out




def _squeeze(s: str) -> str:
    """Runs of one word character down to one (``(\\w)\\1+`` -> ``\\1``,
    without the back-reference RE2 cannot run)."""
    return "".join(ch if _is_word(ch) else "".join(run) for ch, run in itertools.groupby(s))


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@functools.lru_cache(maxsize=4096)
def _locator(key: str) -> re.Pattern[str]:
    """Finds a squeezed word in the folded text, with any repeats."""
    return compile_linear(_word_start(key[0], 1) + "".join(escape(c) + "+" for c in key[1:]) + r"(?!\w)",
                          engine="re", why=_RUNS_WHY)


# Why Python's engine stays linear on the per-word patterns built below: a
# squeezed word has no two equal neighbours, so each "c+" ends exactly where
# the next letter begins and a try never backtracks into an earlier run.
_RUNS_WHY = "runs of distinct letters in sequence: nothing to backtrack into"


def _word_start(ch: str, n: int) -> str:
    r"""``(?<!\w)`` then ``ch`` at least ``n`` times, written to begin with the
    letter itself: re then jumps from one occurrence of that letter to the
    next instead of testing the lookbehind at every position (~15x faster on
    a 300-word post). ``(?<!\w.)`` after the first letter checks the same
    character ``(?<!\w)`` checks before it; the matches are the same."""
    c = escape(ch)
    return f"{c}(?<!\\w.){c}*" if n == 1 else f"{c}(?<!\\w.){c}{{{n - 1},}}"


def _repeat_pattern(word: str) -> str:
    """'ass' -> 'a+s{2,}': letters may repeat, but never fewer than written."""
    out = []
    for ch, run in itertools.groupby(word):
        n = len(list(run))
        out.append(f"{escape(ch)}+" if n == 1 else f"{escape(ch)}{{{n},}}")
    return "".join(out)


def _bounded_repeat_pattern(word: str) -> str:
    r"""``(?<!\w)`` + ``_repeat_pattern(word)``, beginning with its first letter."""
    n = len(word) - len(word.lstrip(word[0]))
    return _word_start(word[0], n) + _repeat_pattern(word[n:])


@dataclass(frozen=True)
class PatternSpec:
    """A regular expression, with optional cheap pre-checks. The regex only
    runs when one of ``requires`` occurs in the lower-cased text, or one of
    ``requires_words`` is a word in it, and the text has ``min_digits``
    digits. Pre-checks are what keep screening a chat message in the tens of
    microseconds; they must never be narrower than the regex itself."""

    regex: str
    requires: tuple[str, ...] = ()
    requires_words: tuple[str, ...] = ()
    min_digits: int = 0

    @classmethod
    def of(cls, item: "str | dict[str, Any] | PatternSpec") -> "PatternSpec":
        if isinstance(item, PatternSpec):
            return item
        if isinstance(item, str):
            return cls(item)
        return cls(item["regex"], tuple(item.get("requires", ())), tuple(item.get("requires_words", ())),
                   int(item.get("min_digits", 0)))

    def to_json(self) -> "str | dict[str, Any]":
        if not (self.requires or self.requires_words or self.min_digits):
            return self.regex
        d: dict[str, Any] = {"regex": self.regex}
        if self.requires:
            d["requires"] = list(self.requires)
        if self.requires_words:
            d["requires_words"] = list(self.requires_words)
        if self.min_digits:
            d["min_digits"] = self.min_digits
        return d


@dataclass(frozen=True)
class Rule:
    name: str
    action: str
    words: tuple[str, ...] = ()
    patterns: tuple[PatternSpec, ...] = ()
    category: str | None = None
    explanation: str = ""
    warning: str | None = None
    replacement: str | None = None
    # Empty means every kind (post, reply, title, edit, chat).
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "patterns", tuple(PatternSpec.of(p) for p in self.patterns))
        if self.action not in ACTIONS:
            raise ValueError(f"rule {self.name!r}: unknown action {self.action!r}")
        if not self.name or self.name.strip("abcdefghijklmnopqrstuvwxyz0123456789_"):
            raise ValueError(f"rule name {self.name!r}: use lower-case letters, digits and _")
        if self.action == "replace" and self.replacement is None:
            raise ValueError(f"rule {self.name!r}: a replace rule needs a replacement")
        if self.action == "content_warning" and not self.warning:
            raise ValueError(f"rule {self.name!r}: a content_warning rule needs a warning")

    @property
    def code(self) -> str:
        return f"rule.{self.name}"


@dataclass(frozen=True)
class RuleHit:
    rule: Rule
    start: int
    end: int
    excerpt: str


@dataclass
class _Word:
    rule: Rule
    word: str
    checks: list[re.Pattern[str]] = field(default_factory=list)


class RuleSet:
    """A compiled, immutable set of rules. Thread-safe to share."""

    def __init__(self, rules: Iterable[Rule], *, version: str = "custom") -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.version = version
        names = [r.name for r in self.rules]
        if len(names) != len(set(names)):
            raise ValueError("rule names must be unique")
        # squeezed single word -> watched words that squeeze to it
        self._single: dict[str, list[_Word]] = {}
        # phrases: (first squeezed word, the other squeezed words, rule,
        # compiled regex on folded text)
        self._phrases: list[tuple[str, tuple[str, ...], Rule, re.Pattern[str]]] = []
        self._patterns: list[tuple[Rule, PatternSpec, frozenset[str], re.Pattern[str]]] = []
        for rule in self.rules:
            for raw in rule.words:
                self._add_word(rule, raw)
            for spec in rule.patterns:
                try:
                    rx = compile_linear(spec.regex, re.IGNORECASE)
                except NotLinear as exc:
                    raise ValueError(
                        f"rule {rule.name!r}: pattern {spec.regex!r} cannot run in linear time ({exc}); "
                        "write \\b as (?<![\\w]) at the start or (?![\\w]) at the end, and avoid "
                        "back-references and lookarounds elsewhere") from exc
                except (re.error, Exception) as exc:
                    raise ValueError(f"rule {rule.name!r}: bad pattern {spec.regex!r}: {exc}") from exc
                words = frozenset(_squeeze(fold(w).text) for w in spec.requires_words)
                self._patterns.append((rule, spec, words, rx))
        self._single_prefixes = frozenset(k[:n] for k in self._single for n in range(1, len(k) + 1))
        self._unlettered_words = any(not any(map(str.isalpha, k)) for k in self._single)

    def _add_word(self, rule: Rule, raw: str) -> None:
        folded = fold(raw.strip()).text
        parts = [p for p in _NONWORD_RE.split(folded) if p]
        if not parts:
            raise ValueError(f"rule {rule.name!r}: empty word")
        if len(parts) == 1:
            w = _Word(rule, parts[0])
            for suffix in SUFFIXES:
                form = parts[0] + suffix
                w.checks.append(compile_linear(_repeat_pattern(form), engine="re", why=_RUNS_WHY))
                self._single.setdefault(_squeeze(form), []).append(w)
            return
        # A phrase: words in order, separated by any run of non-letters.
        body = r"[\W_]+".join([_bounded_repeat_pattern(parts[0])] + [_repeat_pattern(p) for p in parts[1:]])
        regex = compile_linear(rf"{body}(?:{'|'.join(SUFFIXES[1:])})?(?!\w)", engine="re", why=_RUNS_WHY)
        self._phrases.append((_squeeze(parts[0]), tuple(_squeeze(p) for p in parts[1:]), rule, regex))

    # -- loading -------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RuleSet":
        rules = []
        for item in data.get("rules", []):
            rules.append(Rule(
                name=item["name"], action=item["action"],
                words=tuple(item.get("words", ())), patterns=tuple(item.get("patterns", ())),
                category=item.get("category"), explanation=item.get("explanation", ""),
                warning=item.get("warning"), replacement=item.get("replacement"),
                kinds=tuple(item.get("kinds", ())),
            ))
        return cls(rules, version=str(data.get("version", "custom")))

    @classmethod
    def from_json(cls, text: str) -> "RuleSet":
        return cls.from_dict(json.loads(text))

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "rules": [
            {k: v for k, v in {
                "name": r.name, "action": r.action, "words": list(r.words),
                "patterns": [p.to_json() for p in r.patterns],
                "category": r.category, "explanation": r.explanation, "warning": r.warning,
                "replacement": r.replacement, "kinds": list(r.kinds),
            }.items() if v not in (None, [], "")} for r in self.rules]}

    # -- matching ------------------------------------------------------
    def match(self, text: str, *, kind: str = "post", folded: Folded | None = None,
              ignore_numbers: frozenset[str] = frozenset()) -> list[RuleHit]:
        """All hits in ``text`` (the cleaned text), spans indexing into it.

        ``ignore_numbers``: digit strings (e.g. helpline numbers) that the
        phone rule must not treat as a member's contact details.
        """
        hits: list[RuleHit] = []
        f = folded if folded is not None else fold(text)
        tokens = _squeezed_tokens(f.text)
        if self._single or self._phrases:
            hits.extend(self._match_words(f, kind, tokens))
        digits = -1
        lowered = text.lower()
        for rule, spec, req_words, rx in self._patterns:
            if rule.kinds and kind not in rule.kinds:
                continue
            if spec.requires or req_words:
                if not ((spec.requires and any(r in lowered for r in spec.requires))
                        or (req_words and not req_words.isdisjoint(tokens))):
                    continue
            if spec.min_digits:
                if digits < 0:
                    # (str.count per digit: translate is slow on non-ASCII text.)
                    digits = sum(map(text.count, "0123456789"))
                if digits < spec.min_digits:
                    continue
            for m in rx.finditer(text):
                if ignore_numbers and rule.category == "privacy.contact_details":
                    found = "".join(filter(str.isdecimal, m.group()))
                    if len(found) >= 5 and any(found.endswith(n) or n.endswith(found) for n in ignore_numbers):
                        continue
                hits.append(RuleHit(rule, m.start(), m.end(), m.group()))
        hits.sort(key=lambda h: (h.start, h.end))
        return hits

    def _spaced_words(self, letters: list[tuple[int, str]]) -> Iterator[tuple[int, int]]:
        """Every sub-run ``letters[i:j]`` (three letters or more) whose
        squeezed, unleeted form is a watched word. The squeezed form grows
        one letter at a time and a sub-run stops once no watched word starts
        with it, so a run of letters costs its length times the longest word,
        not the cube of its length."""
        single, prefixes = self._single, self._single_prefixes
        raw = "".join(ch for _, ch in letters)
        mapped = unleet(raw + "a")[:-1]  # unleet maps only words with a letter
        n = len(raw)
        run_end, next_alpha = [n] * (n + 1), [n] * (n + 1)
        for j in range(n - 1, -1, -1):
            run_end[j] = run_end[j + 1] if j + 1 < n and mapped[j + 1] == mapped[j] else j + 1
            next_alpha[j] = j if raw[j].isalpha() else next_alpha[j + 1]
        for i in range(n):
            a = next_alpha[i]
            if self._unlettered_words:
                # Before the first letter the sub-run is read as written.
                sq = ""
                for j in range(i, a):
                    if not sq or sq[-1] != raw[j]:
                        sq += raw[j]
                    if j >= i + 2 and sq in single:
                        yield i, j + 1
            if a == n:
                continue
            # From the first letter on the whole sub-run is read unleeted; the
            # squeezed form only changes where a run of one letter ends.
            j, sq = a, _squeeze(mapped[i:a + 1])
            while sq in prefixes:
                if sq in single:
                    for k in range(max(j, i + 2), run_end[j]):
                        yield i, k + 1
                j = run_end[j]
                if j >= n:
                    break
                sq += mapped[j]

    def _match_words(self, f: Folded, kind: str, tokens: set[str]) -> list[RuleHit]:
        found: dict[tuple[str, int, int], RuleHit] = {}

        def confirm(candidate: str, start: int, end: int) -> None:
            if not candidate.isalpha():
                candidate = unleet(candidate)
            for w in self._single.get(_squeeze(candidate), ()):
                if w.rule.kinds and kind not in w.rule.kinds:
                    continue
                if any(rx.fullmatch(candidate) for rx in w.checks):
                    s, e = f.span(start, end)
                    found[(w.rule.name, s, e)] = RuleHit(w.rule, s, e, f.source[s:e])

        for key in tokens & self._single.keys():
            # Re-find where the candidate occurs, with any repeats.
            for m in _locator(key).finditer(f.text):
                confirm(m.group(), m.start(), m.end())
        done_upto = -1
        # Spaced-out letters need several one-letter words; "a" and "i" are
        # ordinary words, so two others are required before the slower scan.
        spaced = _rare_singles(tokens, f.text.isascii()) >= 2
        for hit in (_SEPARATED_RE.finditer(f.text) if spaced else _punct_joins(f.text)):
            if hit.start() < done_upto:
                continue
            # Look at the line around the hit only: cheap, and runs are short.
            lo = f.text.rfind("\n", 0, hit.start()) + 1
            hi = f.text.find("\n", hit.end())
            hi = len(f.text) if hi < 0 else hi
            window = (max(lo, hit.start() - 40), min(hi, hit.end() + 80))
            for m in _JOINED_RE.finditer(f.text, *window):
                if m.start() <= hit.start() < m.end():
                    confirm(_NONWORD_RE.sub("", m.group()), m.start(), m.end())
                    done_upto = max(done_upto, m.end())
            for m in _SPACED_RE.finditer(f.text, *window):
                if m.start() <= hit.start() < m.end():
                    # "you are a f a g g o t": the run starts with the word
                    # "a", so every sub-run is tried (runs are short).
                    letters = [(k, ch) for k, ch in enumerate(m.group()) if _is_word(ch)][:40]
                    for i, j in self._spaced_words(letters):
                        word = "".join(ch for _, ch in letters[i:j])
                        confirm(word, m.start() + letters[i][0], m.start() + letters[j - 1][0] + 1)
                    done_upto = max(done_upto, m.end())
        joined: str | None = None
        for first, rest, rule, rx in self._phrases:
            if first not in tokens or (rule.kinds and kind not in rule.kinds):
                continue
            # Each later word, squeezed, is inside some squeezed token (a
            # regex match of a word is a run of its letters, bounded by
            # non-letters or "_", and squeezing a token keeps the squeezed
            # word as a substring). Checking that first skips the regex scan
            # for phrases such as "my scars" whenever "my" alone occurs.
            if joined is None:
                joined = " ".join(tokens)
            if not all(w in joined for w in rest):
                continue
            for m in rx.finditer(f.text):
                s, e = f.span(m.start(), m.end())
                found[(rule.name, s, e)] = RuleHit(rule, s, e, f.source[s:e])
        return list(found.values())


def _rare_singles(tokens: set[str], ascii_: bool) -> int:
    """How many tokens are one letter other than a common one, counted in C
    (ASCII text: one set intersection) rather than by a loop over tokens."""
    if ascii_:
        return len(tokens & _RARE_ASCII_SINGLES)
    return list(map(len, tokens)).count(1) - len(tokens & _COMMON_SINGLE)


def _punct_joins(text: str) -> Iterator[re.Match[str]]:
    """``_PUNCT_JOIN_RE.finditer(text)``, found from the separators: every
    match starts one character before a ``_JOIN_AT_RE`` hit and each such
    hit starts a match, so taking the hits in order past the last match's
    end gives the same matches (tested)."""
    end = 0
    for at in (_JOIN_AT_ASCII_RE if text.isascii() else _JOIN_AT_RE).finditer(text):
        start = at.start() - 1
        if start >= end:
            m = _PUNCT_JOIN_RE.match(text, start)
            if m is not None:  # always, by construction
                end = m.end()
                yield m


def apply_replacements(text: str, hits: list[RuleHit]) -> str:
    """The text with every ``replace`` hit swapped for its replacement."""
    out, pos = [], 0
    for h in sorted((h for h in hits if h.rule.action == "replace"), key=lambda h: h.start):
        if h.start < pos:
            continue
        out.append(text[pos:h.start])
        out.append(h.rule.replacement or "")
        pos = h.end
    out.append(text[pos:])
    return "".join(out)


_default: RuleSet | None = None


def default_rules() -> RuleSet:
    """The packaged default rule set (loaded once)."""
    global _default
    if _default is None:
        data = resources.files("moderation").joinpath("data/rules.json").read_text(encoding="utf-8")
        _default = RuleSet.from_json(data)
    return _default


register_globals(__name__, globals())
