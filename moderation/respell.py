"""Spelling repair for the abuse judge: the words an obfuscated text spells.

``normalise.fold`` already sees through case, accents and leetspeak for the
watched words. Abuse is also written to slip past a reader: letters spaced
out ("g a y s"), joined words ("deportallmuslims", "ImGoingToHurtYou"),
swapped letters ("qeuers") and deleted letters ("mntlly ill"). ``respell``
gives the judge a second reading of a text with those undone, and the judge
scores both readings (a repair can only add a reading, never hide one).

How, with no word list of our own: the English word frequencies shipped in
the ``symspellpy`` package (MIT) say which words are known and how common.

* a run of single letters split by single spaces or dots is joined, then
  segmented into known words;
* a camel-cased token is split at its capitals; a long unknown token is
  segmented into the likeliest known words (the classic unigram model);
* an unknown token becomes the commonest known word one or two adjacent
  swaps away, else the commonest known word with the same first letter and
  the same consonants in order (deleted vowels);
* a few chat spellings ("u", "r", "ppl") are spelled out.

Known words are never changed, so ordinary text reads the same in both.
"""
from __future__ import annotations

import functools
import math
import threading
from importlib import resources

from moderation.normalise import fold
from moderation.patterns import compile_linear, register_globals

_TOKEN_RE = compile_linear(r"\S+|\s+")
_CAMEL_RE = compile_linear(r"[A-Z]?[a-z]+|[A-Z]|[0-9]+")
_WORD_RE = compile_linear(r"[a-z]+(?:'[a-z]+)?")
_DOTTED_RE = compile_linear(r"^[a-z](?:[.\-_*][a-z])+[.,!?]*$")
_LEET_WORD_RE = compile_linear(r"[a-z][0-9]|[0-9][a-z]")
_LEET_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
_EDGE = ".,!?;:\"'()[]#*"
_VOWELS = frozenset("aeiouy")

# Chat spellings: not obfuscation, but the judge reads the words better.
CHAT = {"u": "you", "r": "are", "ur": "your", "ppl": "people", "pple": "people", "plz": "please", "pls": "please",
        "ya": "you", "yall": "you all", "im": "i'm", "dont": "don't", "cant": "can't", "wont": "won't",
        "youre": "you're", "ure": "you're", "kys": "kill yourself", "stfu": "shut the fuck up", "n": "and",
        "bc": "because", "cuz": "because", "coz": "because", "thx": "thanks", "b4": "before", "dat": "that",
        "da": "the", "dis": "this", "em": "them", "tho": "though", "wat": "what", "wtf": "what the fuck"}

# Slurs and insults the frequency list lacks (it was filtered for
# dictionary words), so a repair doesn't turn one into a harmless word.
EXTRA_WORDS = ("tranny trannies trannie faggot faggots fag fags dyke dykes nigger niggers nigga niggas retard "
               "retards retarded tard tards libtard libtards kike kikes spic spics chink chinks paki pakis wetback "
               "wetbacks gook gooks towelhead towelheads raghead ragheads shemale shemales cripple cripples spaz "
               "spastic spastics schizo schizos psycho psychos mong mongs gypo gypos pikey pikeys coon coons "
               "sandnigger groomer groomers incel incels simp thot thots hoe hoes bitches cunts twats wankers "
               "kys unalive")

# Longer runs of letters are left alone: no word or joined phrase is that
# long, and the candidates a repair tries grow with the length.
MAX_WORD = 48

_lock = threading.Lock()
_words: dict[str, int] | None = None
_total = 1.0
_skeletons: dict[str, list[str]] | None = None


def _load() -> dict[str, int]:
    global _words, _total
    if _words is None:
        with _lock:
            if _words is None:
                path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
                words: dict[str, int] = {}
                for line in path.read_text(encoding="utf-8").splitlines():
                    w, _, c = line.partition(" ")
                    if w and c:
                        words[w] = int(c)
                _total = float(sum(words.values()))
                top = max(words.values())
                # Words the frequency list leaves out but abusers spell:
                # known, so they are neither "corrected" nor split.
                for w in EXTRA_WORDS.split():
                    words.setdefault(w, top // 10000)
                for w in CHAT:
                    if len(w) >= 3:
                        words.setdefault(w, top // 1000)
                _words = words
    return _words


def known(word: str) -> bool:
    return word in _load()


def _skeleton(word: str) -> str:
    return word[0] + "".join(c for c in word[1:] if c not in _VOWELS)


def _skeleton_index() -> dict[str, list[str]]:
    global _skeletons
    if _skeletons is None:
        words = _load()
        with _lock:
            if _skeletons is None:
                idx: dict[str, list[str]] = {}
                for w in sorted(words, key=words.__getitem__, reverse=True):
                    if len(w) >= 2 and w.isalpha():
                        idx.setdefault(_skeleton(w), []).append(w)
                _skeletons = idx
    return _skeletons


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


def _swaps(word: str) -> set[str]:
    return {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}


def _inserts(word: str) -> set[str]:
    return {word[:i] + c + word[i:] for i in range(1, len(word) + 1) for c in "abcdefghijklmnopqrstuvwxyz"}


@functools.lru_cache(maxsize=20000)
def correct(word: str) -> str:
    """The known word an unknown lower-case word most likely stands for, or
    the word itself."""
    words = _load()
    if word in words or len(word) < 2 or len(word) > MAX_WORD or not word.isalpha():
        return CHAT.get(word, word)
    if word in CHAT:
        return CHAT[word]
    # One edit first: a swap that keeps the first letter, or one letter
    # left out; then two swaps.
    one = {w for w in _swaps(word) if w[0] == word[0]}
    found = [w for w in one | _inserts(word) if w in words]
    if not found and len(word) >= 5:
        found = [w for s in one for w in _swaps(s) if w in words and w[0] == word[0]]
    if found:
        return max(found, key=words.__getitem__)
    if len(word) >= 3 and sum(c in _VOWELS for c in word[1:]) <= 1:
        for cand in _skeleton_index().get(_skeleton(word), ()):
            if len(cand) > len(word) and _subsequence(word, cand) and len(cand) <= 2 * len(word) + 2:
                return cand
    if len(word) >= 7:
        parts = segment(word)
        if len(parts) > 1:
            return " ".join(correct(p) for p in parts)
    return word


def _cost(word: str) -> float:
    words = _load()
    c = words.get(word)
    if c is not None:
        return -math.log(c / _total)
    # Unknown pieces cost more the longer they are (Norvig's unigram model).
    return -math.log(10.0 / (_total * 10 ** len(word)))


@functools.lru_cache(maxsize=5000)
def segment(text: str) -> tuple[str, ...]:
    """The likeliest split of a run of letters into words."""
    n = len(text)
    best = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            c = best[start] + _cost(text[start:end])
            if c < best[end]:
                best[end], back[end] = c, start
    out: list[str] = []
    end = n
    while end > 0:
        out.append(text[back[end]:end])
        end = back[end]
    return tuple(reversed(out))


def _letter(tok: str, last: bool = False) -> bool:
    core = tok.rstrip(".,!?;:") if last else tok
    return len(core) == 1 and core.isalnum()


def _join_runs(tokens: list[str], shortest: int = 3) -> list[str]:
    """Single letters split by single spaces ("h u r t") are joined; a
    double space is the gap between spaced-out words. Once a text has a
    spaced-out word, two letters in a row count too ("d o  i t")."""
    out: list[str] = []
    i = 0
    joined_any = False
    while i < len(tokens):
        j = i
        while (_letter(tokens[j]) and j + 2 < len(tokens) and tokens[j + 1] == " "
               and _letter(tokens[j + 2], last=True)):
            j += 2
            if not _letter(tokens[j]):
                break
        if (j - i) // 2 + 1 >= shortest:
            letters = "".join(tokens[k] for k in range(i, j + 1, 2))
            core = letters.rstrip(".,!?;:")
            if known(core) or 4 <= len(core) <= MAX_WORD:
                word = core if known(core) else " ".join(segment(core))
                out.append(word + letters[len(core):])
                joined_any = True
                i = j + 1
                continue
            # "u r a loser" is chat, not a spaced-out word.
            out.extend(tokens[i:j + 1])
            i = j + 1
        else:
            out.append(tokens[i])
            i += 1
    if joined_any and shortest > 2:
        return _join_runs(out, 2)
    return out


def _split_camel(token: str) -> str:
    core = token.strip(_EDGE)
    if len(core) >= 6 and not core.islower() and not core.isupper() and core.isalpha():
        parts = _CAMEL_RE.findall(core)
        if len(parts) >= 2:
            return token.replace(core, " ".join(parts))
    return token


def unleet_all(token: str) -> str:
    return token.translate(_LEET_DIGITS)


def respell(text: str) -> str:
    """The text with obfuscation undone, lower case (see the module
    docstring). Equal to ``fold(text).text`` with spaces normalised when
    there was nothing to undo."""
    tokens = _TOKEN_RE.findall(" ".join(_split_camel(t) for t in text.split(" ")))
    lowered = [fold(t).text if not t.isspace() else (" " if t == " " else "  ") for t in tokens]
    if sum(1 for t in tokens if _LEET_WORD_RE.search(t.lower())) >= 2:
        # Written in leetspeak throughout: lone digits are letters too
        # ("15" is "is"), which fold leaves alone in case they are numbers.
        lowered = [unleet_all(t) for t in lowered]
    out: list[str] = []
    for tok in _join_runs(lowered):
        if tok.isspace():
            out.append(" ")
            continue
        core = tok.strip(_EDGE)
        if not core:
            out.append(tok)
            continue
        lead, trail = tok[:tok.index(core)], tok[tok.index(core) + len(core):]
        if _DOTTED_RE.match(core + trail):
            core = core.replace(".", "").replace("-", "").replace("_", "").replace("*", "")
        lead = lead.replace("#", "")
        fixed = _WORD_RE.sub(lambda m: correct(m.group()), core) if not known(core) else core
        out.append(lead + fixed + trail)
    return " ".join("".join(out).split())


register_globals(__name__, globals())
