"""Handles that cannot pass for someone else.

A handle is stored NFKC-normalised, so full-width and mathematical letters
become the plain letters they look like. Invisible characters (format
characters, Hangul fillers, variation selectors and the rest of Unicode's
default-ignorable set) are refused: "Staff Sam" plus an invisible letter
looks exactly like Staff Sam.

What remains is compared by its confusables *skeleton* (Unicode TR39, from
the data ``confusable-homoglyphs`` ships): each character is replaced by a
canonical look-alike, case is folded and separators dropped, so "Mоderator
Maya" with a Cyrillic о and "moderator.maya" share one skeleton. A new
handle may not share a skeleton with an existing one, nor contain a
reserved word (staff, moderator, admin, Kindred, the helpline services).

Pure Python, no Flask: the service layer decides what to do with a refusal.
"""
from __future__ import annotations

import functools
import unicodedata

from confusable_homoglyphs import confusables
from moderation.patterns import compile_linear, register_globals

# Unicode's Default_Ignorable_Code_Point ranges, plus the Hangul fillers and
# the Braille blank, which render as nothing or as a space yet count as letters.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x2800, 0x2800),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# Dropped from the skeleton: "Staff_Sam", "Staff-Sam" and "StaffSam" are one name.
_SEPARATORS = compile_linear(r"[\s._'@+\-]+")
_WORD_SPLIT = compile_linear(r"[\s._'@+\-]+|(?<=[a-z])(?=[A-Z])", engine="re",
                             why="one class, or an empty match that reads one character each side")
_NON_WORD = compile_linear(r"\W", engine="re", why="one character")

# Words only the service itself may use in a name. Short ones are refused
# as a whole word ("Staff Sam", "Sam the Mod"), so "Staffordshire" or
# "badminton" stay possible; longer ones anywhere in the name.
RESERVED_WORDS = ("staff", "mod", "mods", "moderator", "moderators", "moderation", "admin", "administrator",
                  "kindred", "helpline", "official", "system", "support team", "crisis team",
                  # What a closed account's posts show (forum.rights.erasure.FORMER_LABEL).
                  "former member", "anonymous member")
_WHOLE_WORD_MAX = 6


class HandleRefused(ValueError):
    """The handle cannot be used; ``str(exc)`` is the member-facing reason."""


def is_invisible(ch: str) -> bool:
    cp = ord(ch)
    if unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cs", "Cn"):
        return True
    return any(lo <= cp <= hi for lo, hi in _INVISIBLE_RANGES)


def normalise(handle: str) -> str:
    """NFKC, with runs of whitespace made one plain space. Raises HandleRefused
    for invisible characters, which must never be silently dropped (the
    member would not see what their name really is)."""
    text = unicodedata.normalize("NFKC", handle or "")
    if any(is_invisible(ch) for ch in text):
        raise HandleRefused("Your name contains an invisible character. Please type it again using "
                            "visible letters, numbers and spaces only.")
    return " ".join(text.split())


def _prototype_key(ch: str) -> tuple[int, int, int, int]:
    # Prefer a plain lowercase ASCII letter, then an ASCII letter ("0" reads as "O"),
    # then any ASCII, then the lowest code point.
    ascii_ = ch.isascii()
    return (0 if ascii_ and ch.islower() else 1, 0 if ascii_ and ch.isalpha() else 1, 0 if ascii_ else 1, ord(ch))


@functools.lru_cache(maxsize=4096)
def _prototype(ch: str) -> str:
    candidates = [ch]
    for glyph in confusables.confusables_data.get(ch, ()):
        c = glyph["c"].replace("\u200e", "")
        if len(c) == 1:
            candidates.append(c)
    return min(candidates, key=_prototype_key)


def _map(text: str) -> str:
    return "".join(_prototype(ch) for ch in text)


def skeleton(handle: str, *, fold_first: bool = True) -> str:
    """The TR39-style skeleton: what the name looks like, not how it is spelled.

    Case is folded first so "Sam" and "sAm" share one skeleton. The data is
    case-sensitive ("I" looks like "l", "i" does not), so ``fold_first=False``
    maps before folding too: a new name is checked in both forms."""
    text = unicodedata.normalize("NFKC", handle or "")
    text = "".join(ch for ch in text if not is_invisible(ch))
    if not fold_first:
        text = _map(text)
    text = _map(_map(text.casefold()).casefold())
    # "rn" reads as "m" at a glance; the data maps only single characters.
    return _SEPARATORS.sub("", text).replace("rn", "m")


def skeletons_to_check(handle: str) -> set[str]:
    return {skeleton(handle), skeleton(handle, fold_first=False)}


@functools.lru_cache(maxsize=1)
def reserved_terms() -> tuple[frozenset[str], tuple[str, ...]]:
    """(whole-word skeletons, anywhere skeletons) of the reserved words and
    the names of the services on the help page."""
    from moderation import signposting

    names = list(RESERVED_WORDS)
    for region in signposting.regions():
        names.extend(service.name for service in region.services)
    words, anywhere = set(), set()
    for name in names:
        # Punctuation in a service's name ("&", "(") can never be in a handle.
        skel = _NON_WORD.sub("", skeleton(name))
        if not skel:
            continue
        if len(skel) <= _WHOLE_WORD_MAX:
            words.add(skel)
        else:
            anywhere.add(skel)
    return frozenset(words), tuple(sorted(anywhere))


def reserved_word_in(handle: str) -> bool:
    words, anywhere = reserved_terms()
    parts = [skeleton(w) for w in _WORD_SPLIT.split(unicodedata.normalize("NFKC", handle)) if w]
    if any(p in words for p in parts):
        return True
    whole = skeleton(handle)
    return whole in words or any(term in whole for term in anywhere)


register_globals(__name__, globals())
