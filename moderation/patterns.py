"""Linear-time patterns for member text (the ReDoS defence).

Python's ``re`` backtracks: a crafted post can make one pattern take
quadratic or exponential time, and it holds the GIL meanwhile, so one post
stalls every request of the process. Every pattern that runs on member text
is therefore compiled here and listed in ``REGISTRY``, which the tests in
``tests/security/`` enumerate:

- ``compile_linear`` compiles through RE2 (google-re2), whose matching time
  is linear in the text. It takes patterns written in Python's syntax and
  keeps Python's meaning: ``\\w``, ``\\d`` and ``\\s`` are translated to the
  Unicode classes Python uses, ``pos``/``endpos`` behave as in ``re``, and a
  leading ``(?<![set])`` / trailing ``(?![set])`` of one character class is
  emulated. Anything RE2 cannot run (backreferences, other lookarounds,
  Unicode ``\\b``) raises ``NotLinear``.
- A pattern RE2 cannot express (a lookaround in the middle, a
  backreference) keeps Python's engine only with a stated reason why it
  cannot backtrack badly, and the adversarial tests run it like every other.
"""
from __future__ import annotations

import bisect
import itertools
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import re2

__all__ = ["NotLinear", "Entry", "REGISTRY", "compile_linear", "register_globals", "escape"]

escape = re.escape


class NotLinear(ValueError):
    """The pattern uses something RE2 cannot run in linear time."""


@dataclass(frozen=True)
class Entry:
    name: str
    source: str
    flags: int
    engine: str  # "re2" or "re"
    pattern: Any
    why: str = ""


REGISTRY: dict[str, Entry] = {}
_registry_lock = threading.Lock()


def _register(name: str, entry: Entry) -> None:
    with _registry_lock:
        REGISTRY[name] = entry


# -- translation from Python's syntax to RE2's --------------------------------

# Python's str patterns use Unicode classes: \w is str.isalnum() or "_",
# \d is category Nd, \s is str.isspace(). RE2's shorthands are ASCII only.
_CLASSES = {
    "w": r"\p{L}\p{N}_",
    "d": r"\p{Nd}",
    "s": r"\t-\r\x{1c}-\x{1f}\x{85}\p{Z}",
}
_ASCII_CLASSES = {"w": "0-9A-Za-z_", "d": "0-9", "s": r"\t-\r "}
_PUNCT = set("\\.^$|?*+()[]{}-/&~#%!,:;<=>@`'\"")


def _hex(ch: str) -> str:
    return r"\x{%x}" % ord(ch)


def _literal(ch: str) -> str:
    if ch.isascii() and ch.isalnum():
        return ch
    if ch in _PUNCT:
        return "\\" + ch
    return _hex(ch)


def _translate(src: str, ascii_mode: bool, dollar: str) -> str:
    classes = _ASCII_CLASSES if ascii_mode else _CLASSES
    out: list[str] = []
    i, n = 0, len(src)
    in_class = False
    class_open = 0  # index in src where the current class's items start
    while i < n:
        c = src[i]
        if c == "\\":
            if i + 1 >= n:
                raise NotLinear("trailing backslash")
            d = src[i + 1]
            i += 2
            low = d.lower()
            if low in "wds":
                body = classes[low]
                if d.islower():
                    out.append(body if in_class else f"[{body}]")
                elif in_class:
                    raise NotLinear(f"\\{d} inside a set (write the set out)")
                else:
                    out.append(f"[^{body}]")
            elif d in "bB":
                if in_class and d == "b":
                    out.append(r"\x{8}")
                elif ascii_mode and not in_class:
                    out.append("\\" + d)
                else:
                    raise NotLinear("Unicode word boundary \\b (RE2's is ASCII only)")
            elif d == "A" and not in_class:
                out.append(r"\A")
            elif d == "Z" and not in_class:
                out.append(r"\z")
            elif d in "xuU":
                width = {"x": 2, "u": 4, "U": 8}[d]
                digits = src[i:i + width]
                if len(digits) != width or any(h not in "0123456789abcdefABCDEF" for h in digits):
                    raise NotLinear(f"bad \\{d} escape")
                out.append(r"\x{%x}" % int(digits, 16))
                i += width
            elif d in "afnrtv":
                out.append(_hex("\a\f\n\r\t\v"["afnrtv".index(d)]))
            elif d.isdigit() or d.isalpha():
                raise NotLinear(f"\\{d} (backreference or escape RE2 lacks)")
            else:
                out.append(_literal(d))
            continue
        if in_class:
            if c == "]" and i > class_open:
                in_class = False
                out.append("]")
            elif c == "[":
                out.append(r"\[")
            elif c == "-" or c == "^" and i > class_open:
                out.append("\\" + c if c == "^" else c)
            else:
                out.append(_literal(c) if not c.isascii() or not c.isprintable() else c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append("[")
            i += 1
            if i < n and src[i] == "^":
                out.append("^")
                i += 1
            class_open = i
            if i < n and src[i] == "]":
                out.append(r"\]")
                i += 1
                class_open = i
            continue
        if c == "(" and src.startswith("(?", i):
            j = i + 2
            if src.startswith(":", j) or src.startswith("P<", j):
                out.append(src[i:j + 1] if src[j] == ":" else "(?P<")
                i = j + (1 if src[j] == ":" else 2)
                continue
            k = j
            while k < n and src[k].isalpha():
                k += 1
            letters = src[j:k]
            if letters and k < n and src[k] in ":)" and set(letters) <= set("imsu"):
                kept = letters.replace("u", "")
                if kept:
                    out.append(f"(?{kept}{src[k]}")
                elif src[k] == ":":
                    out.append("(?:")
                i = k + 1
                continue
            raise NotLinear(f"group {src[i:i + 4]!r} (lookaround, backreference or atomic group)")
        if c in "*+?}" and src.startswith("+", i + 1):
            raise NotLinear("possessive quantifier")
        if c == "{" and src.startswith("{,", i):
            out.append("{0,")
            i += 2
            continue
        if c == "$":
            out.append(dollar)
        elif not c.isascii() or not c.isprintable():
            out.append(_hex(c))
        else:
            out.append(c)
        i += 1
    if in_class:
        raise NotLinear("unterminated set")
    return "".join(out)


_ATOM = r"(?:\[(?:\\.|[^\]\\])+\]|\\.|[^\\()\[\]|*+?{}])"
_LEAD = re.compile(r"\(\?<([!=])(" + _ATOM + r")\)")
_TRAIL = re.compile(r"\(\?([!=])(" + _ATOM + r")\)\Z")


def _syntax(src: str):
    """Yield each character of a pattern that is syntax: outside
    escapes and character classes (a class may open with a literal "]")."""
    i, in_class = 0, False
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if src.startswith("^]", i + 1) or src.startswith("]", i + 1):
                i += 1 + src.startswith("^", i + 1)
        else:
            yield c
        i += 1


def _top_level_bar(src: str) -> bool:
    depth = 0
    for c in _syntax(src):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
    return False


def _set_of(atom: str, ascii_mode: bool, negate: bool) -> str:
    """The one-character class of a lookaround's atom, RE2 syntax."""
    if atom.startswith("["):
        inner = atom[1:-1]
        if inner.startswith("^"):
            negate, inner = not negate, inner[1:]
        body = _translate("[" + inner + "]", ascii_mode, "$")[1:-1]
    else:
        body = _translate(atom, ascii_mode, "$")
        if body.startswith("["):
            if body.startswith("[^"):
                negate, body = not negate, body[2:-1]
            else:
                body = body[1:-1]
    return f"[^{body}]" if negate else f"[{body}]"


def _has_dollar(src: str) -> bool:
    return "$" in _syntax(src)


# -- matching ---------------------------------------------------------------

_local = threading.local()


def _encoded(text: str) -> tuple[bytes, list[int] | None]:
    """UTF-8 bytes of text and, when it is not ASCII, the byte offset of each
    character. The last text is cached per thread: the crisis stage calls
    many patterns on the same folded text with different pos/endpos."""
    last = getattr(_local, "last", None)
    if last is not None and last[0] is text:
        return last[1], last[2]
    data = text.encode("utf-8", "surrogatepass")
    offsets = None
    if len(data) != len(text):
        offsets = [0, *itertools.accumulate(1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
                                            for o in map(ord, text))]
    _local.last = (text, data, offsets)
    return data, offsets


class Match:
    """The parts of ``re.Match`` Kindred uses, over an RE2 match."""

    __slots__ = ("re", "string", "pos", "endpos", "_spans")

    def __init__(self, pattern: "Pattern", string: str, pos: int, endpos: int, spans: list[tuple[int, int]]):
        self.re, self.string, self.pos, self.endpos, self._spans = pattern, string, pos, endpos, spans

    def _index(self, group: int | str) -> int:
        if isinstance(group, str):
            return self.re.groupindex[group]
        if not 0 <= group < len(self._spans):
            raise IndexError("no such group")
        return group

    def span(self, group: int | str = 0) -> tuple[int, int]:
        return self._spans[self._index(group)]

    def start(self, group: int | str = 0) -> int:
        return self.span(group)[0]

    def end(self, group: int | str = 0) -> int:
        return self.span(group)[1]

    def group(self, *groups: int | str) -> Any:
        if len(groups) > 1:
            return tuple(self.group(g) for g in groups)
        a, b = self.span(groups[0] if groups else 0)
        return None if a < 0 else self.string[a:b]

    __getitem__ = group

    def groups(self, default: Any = None) -> tuple[Any, ...]:
        return tuple(default if (g := self.group(i)) is None else g for i in range(1, len(self._spans)))

    def groupdict(self, default: Any = None) -> dict[str, Any]:
        return {k: default if (g := self.group(v)) is None else g for k, v in self.re.groupindex.items()}

    def __repr__(self) -> str:
        return f"<moderation.patterns.Match span={self.span()} match={self.group()!r}>"


class Pattern:
    """A pattern run by RE2, with ``re.Pattern``'s methods and meaning."""

    def __init__(self, source: str, flags: int):
        self.pattern, self.flags = source, flags
        if flags & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.ASCII | re.UNICODE):
            raise NotLinear("unsupported flag")
        ascii_mode = bool(flags & re.ASCII)
        if ascii_mode and flags & re.IGNORECASE:
            raise NotLinear("ASCII case folding")
        prefix = "".join(f for f, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)) if flags & bit)
        prefix = f"(?{prefix})" if prefix else ""
        # Without MULTILINE, Python's $ is RE2's \z, or the place before a
        # final "\n" (tried separately in _run).
        dollar = "$" if flags & re.MULTILINE else r"\z"
        core, lead, trail = source, None, None
        m = _LEAD.match(core)
        if m:
            lead, core = m, core[m.end():]
        m = _TRAIL.search(core)
        if m and not core.endswith("\\" + m.group()):
            trail, core = m, core[:m.start()]
        if (lead or trail) and _top_level_bar(core):
            raise NotLinear("a lookaround that covers only one branch of an alternation")
        body = _translate(core, ascii_mode, dollar)
        self._shifted = bool(lead or trail)
        if self._shifted:
            after = ""
            if trail:
                cls = _set_of(trail.group(2), ascii_mode, negate=trail.group(1) == "!")
                after = rf"(?:{cls}|\z)" if trail.group(1) == "!" else cls
            body = f"({body}){after}"
            if lead:
                cls = _set_of(lead.group(2), ascii_mode, negate=lead.group(1) == "!")
                start = body if lead.group(1) == "!" else r"[^\x{0}-\x{10ffff}]" + body
                self._at_start = re2.compile(prefix + start)
                self._at_mid = re2.compile(prefix + cls + body)
                self._search0 = re2.compile(prefix + (rf"(?:\A|{cls})" if lead.group(1) == "!" else cls) + body)
            else:
                self._at_start = self._at_mid = self._search0 = re2.compile(prefix + body)
            self._lead = lead is not None
        else:
            self._at_start = self._at_mid = self._search0 = re2.compile(prefix + body)
            self._lead = False
        self._final_newline = not flags & re.MULTILINE and _has_dollar(core)
        self.translated = prefix + body
        shift = 1 if self._shifted else 0
        self.groups = self._search0.groups - shift
        self.groupindex = {k: v - shift for k, v in self._search0.groupindex.items()}

    def __repr__(self) -> str:
        return f"moderation.patterns.Pattern({self.pattern!r})"

    def _run(self, anchor: str, text: str, pos: int, endpos: int | None) -> Match | None:
        n = len(text)
        pos = min(max(pos, 0), n)
        endpos = n if endpos is None else min(max(endpos, 0), n)
        if pos > endpos:
            return None
        m = self._once(anchor, text, pos, endpos, endpos)
        if self._final_newline and anchor != "full" and endpos > pos and text[endpos - 1] == "\n":
            # Python's $ also matches just before a final "\n".
            m2 = self._once(anchor, text, pos, endpos, endpos - 1)
            if m2 is not None and (m is None or m2.start() < m.start()):
                m = m2
        return m

    def _once(self, anchor: str, text: str, pos: int, endpos: int, end: int) -> Match | None:
        data, offsets = _encoded(text)
        bend = end if offsets is None else offsets[end]
        bpos = pos if offsets is None else offsets[pos]
        view = memoryview(data)[:bend]
        if self._lead and pos > 0:
            rx = self._at_mid
            bpos = pos - 1 if offsets is None else offsets[pos - 1]
        elif anchor == "search":
            rx = self._search0
        else:
            rx = self._at_start
        if anchor == "search":
            m = rx.search(view, bpos)
        elif anchor == "match":
            m = rx.match(view, bpos)
        else:
            m = rx.fullmatch(view, bpos)
        if m is None:
            return None
        spans = [m.span(g) for g in range(self._shifted, self._search0.groups + 1)]
        if offsets is not None:
            spans = [(-1, -1) if a < 0 else (bisect.bisect_left(offsets, a), bisect.bisect_left(offsets, b))
                     for a, b in spans]
        return Match(self, text, pos, endpos, spans)

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> Match | None:
        return self._run("search", text, pos, endpos)

    def match(self, text: str, pos: int = 0, endpos: int | None = None) -> Match | None:
        return self._run("match", text, pos, endpos)

    def fullmatch(self, text: str, pos: int = 0, endpos: int | None = None) -> Match | None:
        if self._shifted:
            raise NotLinear("fullmatch of a pattern with a lookaround")
        return self._run("full", text, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[Match]:
        n = len(text)
        endpos = n if endpos is None else min(max(endpos, 0), n)
        at = min(max(pos, 0), n)
        empty_at = -1
        while at <= endpos:
            m = self._run("search", text, at, endpos)
            if m is None:
                return
            a, b = m.span()
            if a == b == empty_at:
                # An empty match where the last one ended: step on, as re does.
                at = a + 1
                continue
            yield m
            if a == b:
                empty_at = b
                at = b
            else:
                empty_at = -1
                at = b
        return

    def findall(self, text: str, pos: int = 0, endpos: int | None = None) -> list[Any]:
        if self.groups == 0:
            return [m.group() for m in self.finditer(text, pos, endpos)]
        if self.groups == 1:
            return [m.groups("")[0] for m in self.finditer(text, pos, endpos)]
        return [m.groups("") for m in self.finditer(text, pos, endpos)]

    def sub(self, repl: str | Callable[[Match], str], text: str, count: int = 0) -> str:
        if isinstance(repl, str):
            if "\\" in repl:
                raise NotLinear("group references in a replacement")
            literal = repl
            repl = lambda _m: literal  # noqa: E731
        out, last = [], 0
        for k, m in enumerate(self.finditer(text), 1):
            out.append(text[last:m.start()])
            out.append(repl(m))
            last = m.end()
            if count and k >= count:
                break
        out.append(text[last:])
        return "".join(out)

    def split(self, text: str, maxsplit: int = 0) -> list[str]:
        out, last = [], 0
        for k, m in enumerate(self.finditer(text), 1):
            out.append(text[last:m.start()])
            out.extend(m.groups())
            last = m.end()
            if maxsplit and k >= maxsplit:
                break
        out.append(text[last:])
        return out


class Tail:
    """A pattern that only ever looks at the last ``size`` characters before
    ``endpos``: one anchored at the end whose matches are short, where the
    bounded window is what keeps Python's engine linear."""

    def __init__(self, compiled: Any, size: int):
        self._rx, self.size = compiled, size
        self.pattern, self.flags = compiled.pattern, compiled.flags

    def _bounds(self, text: str, pos: int, endpos: int | None) -> tuple[int, int]:
        end = len(text) if endpos is None else min(endpos, len(text))
        return max(pos, end - self.size), end

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        return self._rx.search(text, *self._bounds(text, pos, endpos))

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[Any]:
        return self._rx.finditer(text, *self._bounds(text, pos, endpos))


def compile_linear(source: str, flags: int = 0, *, name: str | None = None, why: str | None = None,
                   engine: str = "re2", tail: int | None = None) -> Any:
    """Compile through RE2 (linear time) and register under ``name``.

    A pattern RE2 cannot run raises ``NotLinear``, unless ``why`` says why
    it cannot backtrack badly under Python's engine (then ``re`` runs it, and
    the adversarial tests hold it to the same budget). ``engine="re"`` with
    a ``why`` keeps Python's engine for a bare character class, where it
    cannot backtrack at all and runs faster (and takes lone surrogates).
    Without a name the pattern is registered by ``register_globals``."""
    if engine == "re":
        if not why:
            raise ValueError("say why Python's engine is linear on this pattern")
        pattern: Any = re.compile(source, flags)
        if tail is not None:
            pattern = Tail(pattern, tail)
    else:
        try:
            pattern = Pattern(source, flags)
        except NotLinear:
            if not why:
                raise
            pattern, engine = re.compile(source, flags), "re"
    if name is not None:
        _register(name, Entry(name, source, flags, engine, pattern, why or ""))
    elif engine == "re":
        _unnamed[id(pattern)] = why or ""
    return pattern


_unnamed: dict[int, str] = {}


def register_globals(module: str, namespace: dict[str, Any]) -> None:
    """Register every pattern a module holds at top level (alone or in a
    tuple) under ``module.NAME``; a plain ``re`` pattern that did not come
    through ``compile_checked`` is refused."""
    known = {id(e.pattern) for e in REGISTRY.values()}
    for key, value in list(namespace.items()):
        items = value if isinstance(value, tuple) else (value,)
        for k, item in enumerate(items):
            for obj in (item if isinstance(item, tuple) else (item,)):
                if id(obj) in known:
                    continue
                label = f"{module}.{key}" if len(items) == 1 else f"{module}.{key}[{k}]"
                if isinstance(obj, Pattern):
                    _register(label, Entry(label, obj.pattern, obj.flags, "re2", obj))
                    known.add(id(obj))
                elif isinstance(obj, re.Pattern) and id(obj) in _unnamed:
                    _register(label, Entry(label, obj.pattern, obj.flags, "re", obj, _unnamed[id(obj)]))
                    known.add(id(obj))
                elif isinstance(obj, re.Pattern):
                    raise NotLinear(f"{label}: compiled with re outside moderation.patterns")
