"""Stage 1: render member Markdown to HTML, then sanitise it with nh3.

markdown-it-py renders CommonMark with raw HTML *disabled*, so anything that
looks like a tag is shown as text. nh3 (the Rust Ammonia sanitiser) is then
the security boundary: even if a future renderer change or plugin produced a
dangerous tag or URL, the allow-list below removes it. Both layers exist on
purpose; neither is trusted alone.

The HTML is rendered once, at write time, and stored. Templates output the
stored HTML and never render Markdown on read.
"""
from __future__ import annotations

import html as _html
import re

import markdown_it
import nh3
from markdown_it.token import Token

from moderation.patterns import compile_linear, register_globals

# Tags the renderer can produce, and nothing else. Headings start at h3:
# the page already uses h1 (site/page) and h2 (topic), and a member's "# Help"
# must not outrank the page structure that screen-reader users navigate by.
ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Links only to the web and to e-mail. No javascript:, data:, vbscript:, file:.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# nofollow/ugc: member links earn no search ranking (discourages spam).
# noopener/noreferrer: the linked page can't script this tab or learn which
# topic a vulnerable reader came from.
LINK_REL = "nofollow ugc noopener noreferrer"
HEADING_SHIFT = 2
# Block nesting (quotes in quotes, lists in lists). markdown-it stops parsing
# at its own maxNesting; Kindred refuses well before that with a clear error,
# so deeply nested input is never silently truncated.
MAX_NESTING = 16
_MD_MAX_NESTING = MAX_NESTING + 4

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    # Elements whose *content* must go too (not shown as text).
    clean_content_tags={"script", "style", "iframe", "object", "embed", "svg", "math", "template",
                        "noscript", "textarea", "select", "xmp", "noembed", "noframes"},
    attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)


class NestingTooDeep(ValueError):
    """The Markdown nests blocks more deeply than ``MAX_NESTING``."""


def sanitise_html(html: str) -> str:
    """Sanitise an HTML fragment with the allow-list. Idempotent."""
    return _cleaner.clean(html)


def _render_heading_open(self, tokens, idx, options, env):
    tok = tokens[idx]
    level = min(6, int(tok.tag[1]) + HEADING_SHIFT)
    return f"<h{level}>"


def _render_heading_close(self, tokens, idx, options, env):
    tok = tokens[idx]
    level = min(6, int(tok.tag[1]) + HEADING_SHIFT)
    return f"</h{level}>\n"


def _alt_text(tok: Token) -> str:
    return "".join(c.content for c in (tok.children or []) if c.type in ("text", "code_inline")).strip()


def _render_image(self, tokens, idx, options, env):
    """Remote images become links: loading them inline would reveal every
    reader's IP address (and the moment they read) to whoever hosts the image."""
    tok = tokens[idx]
    src = tok.attrGet("src") or ""
    alt = _alt_text(tok)
    label = _html.escape(f"Image: {alt}" if alt else "Image")
    if src.lower().startswith(("http://", "https://")):
        return f'<a href="{_html.escape(src, quote=True)}">{label}</a>'
    return label


# Anything linkify-it could turn into a link contains one of these: a scheme
# or scheme-relative "//" ("https://"), "mailto:", "www.", an e-mail "@", or a
# dot between a non-space character and a letter ("example.org"). Not only a
# word character: linkify-it's domain letters are anything but spaces,
# punctuation and controls, so symbols count too ("¬.AL" is a link to it;
# found by the generated-text test). linkify-it's own
# pre-test is a very large regex that costs about as much as parsing the whole
# post, so this cheap superset runs first; most paragraphs have no link at all.
_MAYBE_LINK_RE = compile_linear(r"//|www\.|@|mailto:|\S\.[^\W\d_]", re.IGNORECASE,
                                engine="re", why="at most seven characters long")
# The same test written to start at the punctuation ("/", ".", "@", ":"), so
# re can skip straight to those characters instead of trying five
# alternatives at every position: ~10x faster on prose, and it finds a match
# exactly when ``_MAYBE_LINK_RE`` does (tested).
_MAYBE_LINK_FAST_RE = compile_linear(r"/(?=/)|\.(?:(?<=www\.)|(?<=\S\.)(?=[^\W\d_]))|@|:(?<=mailto:)", re.IGNORECASE,
                                     engine="re", why="at most seven characters long")


class _FastLinkify:
    """linkify-it with a cheap pre-test in front (same results, tested)."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def pretest(self, text: str) -> bool:
        return bool(_MAYBE_LINK_FAST_RE.search(text)) and self._inner.pretest(text)

    def test(self, text: str) -> bool:
        # Called for each text run of a block that passed the pre-test; a
        # run holds a link only if it has a link's shape, so the same cheap
        # check skips the full search for the runs around the link.
        return bool(_MAYBE_LINK_FAST_RE.search(text)) and self._inner.test(text)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def _build(*, fast: bool = True) -> markdown_it.MarkdownIt:
    """The renderer. ``fast=False`` builds it without the speed-ups (the
    linkify pre-test, the switched-off html rules): the reference the tests
    compare against."""
    md = markdown_it.MarkdownIt(
        "commonmark", {"html": False, "linkify": True, "typographer": False, "maxNesting": _MD_MAX_NESTING}
    )
    md.enable(["linkify", "strikethrough"])
    if fast:
        # With "html" off these two rules return False at once, but
        # markdown-it still calls html_block at every block start.
        # Switched off: same output (tested).
        md.disable(["html_block", "html_inline"])
    md.add_render_rule("heading_open", _render_heading_open)
    md.add_render_rule("heading_close", _render_heading_close)
    md.add_render_rule("image", _render_image)
    if fast:
        md.linkify = _FastLinkify(md.linkify)
    return md


_md = _build()


def _render_markdown_it(text: str) -> str:
    """Markdown to unsanitised HTML with markdown-it. Raises ``NestingTooDeep``."""
    env: dict = {}
    tokens = _md.parse(text, env)
    deepest = 0
    for tok in tokens:
        if tok.nesting == 1 and tok.level > deepest:
            deepest = tok.level
    if deepest >= MAX_NESTING:
        raise NestingTooDeep(deepest)
    return _md.renderer.render(tokens, _md.options, env)


# -- simple blocks --------------------------------------------------------------------
# markdown-it-py is pure Python and costs about 20 us a block even for plain
# prose, more with emphasis or a list. Most posts are prose with, at most,
# some bold or italic words, a quote or a short bulleted list. So the text
# is cut into blocks at blank lines, and a block in one of these simple
# shapes is written straight out as markdown-it would write it:
#
#   paragraph   lines of text                  <p>...</p>
#   quote       lines each starting "> "       <blockquote>\n<p>...</p>\n</blockquote>
#   list        lines each starting "- "       <ul>\n<li>...</li>\n...</ul>   (tight)
#
# where the text holds no Markdown syntax but simple emphasis (below), is
# HTML-escaped as markdown-it escapes it, and keeps soft line breaks as
# "\n" (breaks=False). Every other block, with its Markdown neighbours,
# still goes through markdown-it, and nh3 sanitises the result either way.
# Same bytes: the tests compare both paths on edge cases and on generated
# text, simple and mixed.
#
# Inline, the direct path refuses: \ ` _ ~ [ ] < & (escapes, code, "_"
# emphasis, strikethrough, links and images, autolinks, entities); tab, CR
# and NUL, which markdown-it expands or rewrites; any link shape
# (``_MAYBE_LINK_FAST_RE``, linkify's own pre-test); and any "*" that is not
# part of simple emphasis.
_INLINE_SYNTAX_RE = compile_linear(r"[\\`_~\[\]<&\t\r\x00]",
                                   engine="re", why="one character")
# Simple emphasis: "*" or "**" after a space, a line break or the start,
# then a letter or digit; the same run closing it after a letter or digit,
# before a space, a line break, the end or . , ; : ! ? ). Such an opener can
# only open and such a closer can only close (CommonMark's flanking rules),
# so with no other "*" in the text they pair up in order.
_EMPHASIS_RE = compile_linear(r"(?<![^ \n])(\*\*?)(?=[^\W_])([^*]*?[^\W_])\1(?![^ \n.,;:!?)])",
                              engine="re", why="starts only at a '*' after a space and scans no further than the next '*'")
# A line's first character that could open or continue a block: heading,
# quote, list, rule, setext underline; leading whitespace (indented code,
# continuation); digits then "." or ")" (ordered list). Trailing whitespace
# makes a hard break, or is stripped.
_BLOCK_MARKS = frozenset("#>+-*=_|")
_ORDERED_RE = compile_linear(r"\d{1,9}[.)]",
                             engine="re", why="at most ten characters long")
_STAR_WORD_RE = compile_linear(r"\*\*?[^\W_]",
                               engine="re", why="at most three characters long")
# A list next to another list-like or indented block may be loose or
# continued across the blank line: markdown-it renders those together.
_LIST_LIKE = frozenset("-+*0123456789")
# Constructs that can reach across a blank line into a simple-looking block
# (a fenced code block) or tie distant blocks together (a link reference
# definition, "[x]: url"), and CR, which markdown-it turns into line breaks:
# with any of them the whole text goes to markdown-it.
_SPANS_BLOCKS_RE = compile_linear(r"```|~~~|\]:|\r",
                                  engine="re", why="at most three characters long")


def _escape(text: str) -> str:
    # markdown-it's escapeHtml: these four characters, "&" first.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _inline(text: str) -> str | None:
    """Inline HTML for text with no syntax but simple emphasis, else None."""
    if _INLINE_SYNTAX_RE.search(text) or _MAYBE_LINK_FAST_RE.search(text):
        return None
    if "*" not in text:
        return _escape(text)
    out: list[str] = []
    pos = stars = 0
    for m in _EMPHASIS_RE.finditer(text):
        tag = "strong" if len(m.group(1)) == 2 else "em"
        out.append(f"{_escape(text[pos:m.start()])}<{tag}>{_escape(m.group(2))}</{tag}>")
        pos = m.end()
        stars += 2 * len(m.group(1))
    if stars != text.count("*"):  # a "*" outside simple emphasis
        return None
    out.append(_escape(text[pos:]))
    return "".join(out)


def _plain_line(line: str) -> bool:
    first = line[0]
    if first in _BLOCK_MARKS:
        # "*" or "**" then a letter or digit opens emphasis: neither a list
        # item ("* ") nor a rule ("***").
        return first == "*" and _STAR_WORD_RE.match(line) is not None and not line[-1].isspace()
    return not (first.isspace() or line[-1].isspace() or (first.isdigit() and _ORDERED_RE.match(line)))


def _marked(lines: list[str], mark: str) -> list[str] | None:
    """The lines' contents if every line is ``mark`` then a plain line."""
    n = len(mark)
    if not all(line.startswith(mark) and len(line) > n and _plain_line(line[n:]) for line in lines):
        return None
    return [line[n:] for line in lines]


def _paragraph(lines: list[str]) -> str | None:
    if not all(map(_plain_line, lines)):
        return None
    inline = _inline("\n".join(lines))
    return None if inline is None else f"<p>{inline}</p>\n"


def _quote(lines: list[str]) -> str | None:
    content = _marked(lines, "> ")
    inline = None if content is None else _inline("\n".join(content))
    return None if inline is None else f"<blockquote>\n<p>{inline}</p>\n</blockquote>\n"


def _list(lines: list[str]) -> str | None:
    items = _marked(lines, "- ")
    if items is None:
        return None
    html = [_inline(item) for item in items]
    if None in html:
        return None
    return "<ul>\n" + "".join(f"<li>{h}</li>\n" for h in html) + "</ul>\n"


def _simple_block(lines: list[str], after_direct: bool, next_first: str) -> str | None:
    """HTML for a block in a simple shape, or None. A list only directly
    after nothing or a block written directly (a Markdown block before it
    may end inside a list that this one continues), and only before nothing
    or a block that cannot continue it (``next_first``: that block's first
    character, "" for none)."""
    first = lines[0][0]
    if first == ">":
        return _quote(lines)
    if first == "-":
        if not after_direct or next_first in _LIST_LIKE or next_first.isspace():
            return None
        return _list(lines)
    return _paragraph(lines)


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """[start, end) line ranges of the blocks between blank lines (a blank
    line, for markdown-it, holds only spaces and tabs)."""
    out: list[tuple[int, int]] = []
    start = -1
    for i, line in enumerate(lines):
        if line.strip(" \t"):
            if start < 0:
                start = i
        elif start >= 0:
            out.append((start, i))
            start = -1
    if start >= 0:
        out.append((start, len(lines)))
    return out


def _render_blocks(text: str) -> str | None:
    """The text rendered block by block, or None when no block is simple."""
    lines = text.split("\n")
    blocks = _blocks(lines)
    firsts = [lines[a][0] for a, _ in blocks[1:]] + [""]
    out: list[str] = []
    pending = -1  # first line of a run of Markdown blocks not yet rendered
    last = 0  # end of the last Markdown block in that run
    any_simple = False
    for k, (a, b) in enumerate(blocks):
        html = _simple_block(lines[a:b], pending < 0, firsts[k])
        if html is None:
            # Neighbouring Markdown blocks render together: a blank line
            # between list items or indented code belongs to the construct.
            pending = a if pending < 0 else pending
            last = b
            continue
        any_simple = True
        if pending >= 0:
            out.append(_render_markdown_it("\n".join(lines[pending:last])))
            pending = -1
        out.append(html)
    if not any_simple:
        return None
    if pending >= 0:
        out.append(_render_markdown_it("\n".join(lines[pending:last])))
    return "".join(out)


def render_markdown(text: str) -> str:
    """Markdown to *unsanitised* HTML. Raises ``NestingTooDeep``."""
    if not _SPANS_BLOCKS_RE.search(text):
        html = _render_blocks(text)
        if html is not None:
            return html
    return _render_markdown_it(text)


def render(text: str) -> str:
    """Markdown to safe HTML: the function the pipeline uses."""
    return sanitise_html(render_markdown(text))


def render_plain(text: str) -> str:
    """Plain text (titles) to safe HTML: escaped, no Markdown."""
    return _html.escape(text, quote=True)


register_globals(__name__, globals())
