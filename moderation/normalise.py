"""Text normalisation shared by the moderation stages.

Two different jobs live here, and they must not be confused:

* ``clean_text`` produces the text Kindred *stores and screens*. It only
  removes characters that have no business in member text (NUL and other
  control characters, lone surrogates) and neutralises invisible characters
  that can hide words from moderators or flip how text is displayed
  (bidirectional overrides, zero-width characters). The member's words are
  otherwise kept exactly as written.

* ``fold`` produces a *matching view* of the cleaned text: case-folded,
  accents stripped, leetspeak mapped to letters. It keeps an index back to
  the cleaned text so every match can be reported with a span a moderator
  can see highlighted. The folded text is never shown or stored.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from moderation.patterns import compile_linear, register_globals

# Each pattern here is one character class (repeated at most), which Python's
# engine scans without backtracking, faster than RE2, and it takes the lone
# surrogates clean_text() must replace.
_CLASS_ONLY = "a character class, no backtracking"

# C0 controls except TAB and LF, DEL, and C1 controls. CR is normalised to LF
# first so Windows line endings survive.
_CONTROL_RE = compile_linear(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", engine="re", why=_CLASS_ONLY)
# Bidirectional embeddings, overrides and isolates ("Trojan Source"), plus the
# implicit direction marks: they can make text display in a different order
# from the order it is stored and screened in.
_BIDI_RE = compile_linear("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]", engine="re", why=_CLASS_ONLY)
# Invisible characters that split words without showing anything: used to
# sneak "s\u200buicide" or a slur past word matching. U+00AD is the soft hyphen.
_INVISIBLE_RE = compile_linear("[\u200b\u2060-\u2064\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164\uffa0]", engine="re", why=_CLASS_ONLY)
# ZWNJ/ZWJ are meaningful inside emoji sequences and in scripts such as
# Persian or Devanagari, so they are kept there; between ASCII characters they
# can only be hiding something, so they go.
# A run of joiners is tried once, from its start (a start inside the run
# would rescan it: quadratic on a long run).
_JOINER_RE = compile_linear("(?<=[\x00-\x7f])[\u200c\u200d]+|(?<![\u200c\u200d])[\u200c\u200d]++(?=[\x00-\x7f])",
                            engine="re", why="each run of joiners is tried once, from its start")
_SURROGATE_RE = compile_linear("[\ud800-\udfff]", engine="re", why=_CLASS_ONLY)


# Everything removed outright, as one character class: one pass over the text.
_REMOVE_RE = compile_linear("|".join(p.pattern for p in (_CONTROL_RE, _BIDI_RE, _INVISIBLE_RE)), engine="re", why=_CLASS_ONLY)


def clean_text(text: str) -> str:
    """The text to store and screen: see the module docstring."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():  # the common case: only control characters can be wrong
        return _CONTROL_RE.sub("", text)
    text = _REMOVE_RE.sub("", text)
    if "\u200c" in text or "\u200d" in text:
        text = _JOINER_RE.sub("", text)
    # A Python str may hold lone surrogates (e.g. from a broken decoder); they
    # cannot be encoded as UTF-8, so the database and nh3 would both fail.
    return _SURROGATE_RE.sub("\ufffd", text)


# Leetspeak: symbols and digits people use in place of letters. Applied only
# inside a word that also has letters, so "5 pills" or "2024" stay as numbers.
_LEET = {
    "0": "o", "1": "i", "2": "z", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e", "£": "l", "¡": "i",
}
# Trailing/leading "!" and "|" are punctuation, not letters ("die!" is "die").
_EDGE_PUNCT = "!|"


@dataclass(frozen=True)
class Folded:
    """A matching view of a text: ``text[i]`` came from ``source[index[i]]``."""

    text: str
    index: Sequence[int]
    source: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded [start, end) span back to the source text."""
        if not self.index:
            return (0, 0)
        s = self.index[min(start, len(self.index) - 1)]
        e = self.index[min(max(end - 1, start), len(self.index) - 1)] + 1
        return (s, e)


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch.lower()
    # NFKD splits accents off ("é" -> "e" + combining acute) and maps
    # compatibility forms (full-width letters, ligatures) to plain letters.
    decomposed = unicodedata.normalize("NFKD", ch)
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    return out.casefold()


# A letter next to a leet character: only words containing one need the
# (slower) per-character leet pass. Most text has none.
_LEET_CHARS = "0-9@$!|+€£¡"
# (After folding, letters are almost always ASCII, and [a-z] scans much faster
# than a Unicode letter class.)
_LEET_PAIR_RE = compile_linear(rf"[a-z][{_LEET_CHARS}]|[{_LEET_CHARS}][a-z]", engine="re", why=_CLASS_ONLY)
_WORD_CHARS_RE = compile_linear(rf"[\w{_LEET_CHARS}]+", engine="re", why=_CLASS_ONLY)
# Any leet character at all: a single character class, which re scans for
# far faster than the pair alternation. Most posts have none.
_LEET_ANY_RE = compile_linear(rf"[{_LEET_CHARS}]", engine="re", why=_CLASS_ONLY)


_NON_ASCII_RUN_RE = compile_linear(r"[^\x00-\x7f]+", engine="re", why=_CLASS_ONLY)


def _fold_mixed(text: str) -> tuple[str, Sequence[int]]:
    """Fold text that is not all ASCII, character by character in effect.
    Most such text is ASCII with a few curly quotes, accents or emoji, so the
    ASCII runs are lower-cased whole (one character for one, as
    ``_fold_char`` would) and only the other characters are folded singly,
    each through a cache. When every character folds to exactly one (the
    usual case: "’" stays, "é" becomes "e") the index is the identity,
    a range, and no list of positions is built."""
    pieces: list[str] = []
    pos = 0
    one_for_one = True
    for m in _NON_ASCII_RUN_RE.finditer(text):
        pieces.append(text[pos:m.start()].lower())
        for ch in m.group():
            folded = _fold_char(ch)
            pieces.append(folded)
            one_for_one = one_for_one and len(folded) == 1
        pos = m.end()
    pieces.append(text[pos:].lower())
    if one_for_one:
        return "".join(pieces), range(len(text))
    return "".join(pieces), _fold_index(text)


def _fold_index(text: str) -> list[int]:
    """Where each folded character came from, when some character folds to
    none or to several ("ﬁ" to "fi", a lone combining accent to "")."""
    idx: list[int] = []
    for i, ch in enumerate(text):
        idx.extend([i] * len(_fold_char(ch)))
    return idx


def fold(text: str) -> Folded:
    """Case-fold, strip accents and map leetspeak, keeping an index map."""
    if text.isascii():
        chars_str = text.lower()
        index: range | list[int] = range(len(text))
    else:
        chars_str, index = _fold_mixed(text)
    if not _LEET_ANY_RE.search(chars_str) or not _LEET_PAIR_RE.search(chars_str):
        return Folded(chars_str, index, text)
    chars = list(chars_str)
    for m in _WORD_CHARS_RE.finditer(chars_str):
        if not _LEET_PAIR_RE.search(m.group()):
            continue
        start, end = m.start(), m.end()
        while start < end and chars_str[start] in _EDGE_PUNCT:
            start += 1
        while end > start and chars_str[end - 1] in _EDGE_PUNCT:
            end -= 1
        for j in range(start, end):
            sub = _LEET.get(chars[j])
            if sub is not None:
                chars[j] = sub
    return Folded("".join(chars), index, text)


def unleet(word: str) -> str:
    """Map leet characters in a single (already folded) word to letters."""
    return "".join(_LEET.get(c, c) for c in word) if any(c.isalpha() for c in word) else word


register_globals(__name__, globals())
