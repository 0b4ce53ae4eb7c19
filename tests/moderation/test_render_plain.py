"""The simple-block render path gives markdown-it's bytes exactly.

``render.render_markdown`` writes blocks in simple shapes (paragraphs,
"> " quotes and "- " lists of text with at most simple emphasis) straight
out and sends the rest to markdown-it. Every input it accepts must come out
byte for byte as markdown-it renders it: checked here against the
production renderer and the stock configuration, on edge cases and on
generated text, simple and mixed.
"""
from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from moderation import render
from moderation.tools.bench import CHAT, LONG_POST, SHORT_POST

_STOCK = render._build(fast=False)


def _check(text: str) -> None:
    try:
        expected = render._render_markdown_it(text)
    except render.NestingTooDeep:
        with pytest.raises(render.NestingTooDeep):
            render.render_markdown(text)
        return
    ours = render.render_markdown(text)
    assert ours == expected
    assert ours == _STOCK.render(text)


def _takes_plain_path(text: str) -> bool:
    return not render._SPANS_BLOCKS_RE.search(text) and render._render_blocks(text) is not None


EDGE_CASES = [
    # a symbol is a domain letter to linkify-it ("¬.AL" becomes a link)
    "¬.AL", "see ¬.AL now", "+.ab", "\u00a9.com", "\U0001f600.com",
    # ordinary prose, one or more paragraphs, soft breaks
    "hello", "a\nb", "a\n\nb", "a\n\n\n\nb", "\n\na\n\n", "a\n \nb", "a\n\t\nb", "one. two, three; four? (five)!",
    '"quoted" and \'single\'', "a > b", "x >= y", "a|b|c\n-|-\n1|2", "50% off #1 @ 3 + 4 = 7 ^ {x}",
    # block openers: headings, quotes, lists, rules, setext, indented code
    "# h", "#h", "a\n# h", "> q", "a\n> q", ">q", "- a", "-a", "a\n- b", "* a", "+ a", "a\n+ b", "--", "---",
    "a\n---", "a\n===", "=a", "_a", "___", "|a", "1. one", "1) one", "2024. was a year", "a\n1. b", "a\n2. b",
    "12345678901. no", "1.5 cups", "1 cup",
    "    code", " one space", "   three", "a\n    b", "\ta", "a\tb",
    # inline syntax
    "*em*", "_em_", "snake_case", "**b**", "`c`", "~~s~~", "~one", "[x]", "[x](http://a.b)", "![i](x)", "<b>",
    "<http://a.b>", "a < b", "&amp;", "&copy;", "AT&T", "\\*", "a\\\nb", "a  \nb", "a \nb", "a\u00a0\nb",
    "\u00a0a", "a\u00a0", "a\u2003", "\u2028a", "a\u2028b", "a\x00b", "a\rb", "a\r\n\r\nb",
    # link shapes (linkify)
    "www.example.org", "example.org", "see a.bc", "a@b.co", "http://x.y", "mailto:a@b.c", "x//y", "3.14",
    "Mr. Smith", "end.Next", "é.é",
    # blocks that reach across blank lines
    "```\nx\n\ny\n```", "~~~\nx\n\nplain\n~~~", "[x]: /u\n\nsee [x]", "- a\n\nplain", "- a\n\n- b",
    "- a\n\n  more\n\nplain", "> a\n\nb", "    a\n\n    b\n\nc", "1) a\n\nb", "plain\n\n    code", "plain\n\n- a",
    "*\n\nplain", "-\n\nplain", "a\n\n**b**\n\nc\n\n> d\n\ne",
    # simple emphasis and its near misses
    "**a**", "*a*", "a **b** c", "a **b**.", "a **b**c", "a**b**", "(**a**)", "**a **", "** a**", "**a*", "*a**",
    "***a***", "**a** **b**", "*a* *b*", "**a\nb**", "**é**", "**1**", "**_a_**", "**a_b**", "* a*", "a * b",
    "**a**!", "**a**?", "**a**:", "**a**)", "**a**]", "**a**-b", "x\x1c**a**", "**a**\u00a0b", "\u00a0**a**", "**²**",
    "**a.b**", "**a. b**", "**a** and *b* and **c**", "*a **b** c*", "**a**\n**b**", "a\n**b** c", "**a** b\nc *d*",
    "**\u0301a**", "*a", "**a", "***", "* * *", "**", "*", "*a\nb", "a\n*b*", "a\n* b", "a\n***", "*1. a*", "*a*  ",
    "*\u2019a\u2019*", "**a\u2019**", "*a*\u2019s", "*a*'s", "x *a*", "x\t*a*",
    # "- " lists and their neighbours
    "- a", "- a\n- b", "- **a**", "-  a", "- a\n  b", "- a\nb", "- a\n\n- b", "- a\n\nb", "a\n\n- b", "- a\n\n  b",
    "* a\n\n- b", "- a\n\n* b", "1. a\n\n- b", "- a\n\n1. b", "- a\n\n2) b", "- # a", "- > a", "- - a", "- 1. a",
    "- a  ", "- a\n-", "- ", "-", "- a\n\n\n- b", "> q\n\n- a\n\n> r", "- a\n\n    code", "- a\n\n+ b",
    "p\n\n- a\n- b\n\nq", "t\n- a  \n\n- b", "- a\nb\n\n- c", "x *\n- a\n\n- b", "q\n> a\n- b\n\n- c",
    "- a\n\n\tb", "- a\n \n- b", "- a\n\n\u00a0b", "- *a* b\n- c **d**",
    # "> " quotes
    "> a", "> a\n> b", "> a\nb", ">a", ">  a", "> > a", "> - a", "> **a**", "> a\n\n> b", "> a\n>", "> # h",
    "> a\n\n- b", "- b\n\n> a", "> 1. a", "> a  ", "> www.x.org",
    # unicode
    "héllo wörld", "日本語のテキスト", "emoji 😀 here", "I\u2019m fine", "\ufffd", "\u0301a",
    LONG_POST, SHORT_POST, CHAT,
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_match_markdown_it(text: str) -> None:
    _check(text)


@pytest.mark.parametrize("text", [SHORT_POST, CHAT, "hello\n\nworld", "I\u2019m ok", 'say "hi" > bye'])
def test_plain_texts_skip_markdown_it(text: str) -> None:
    assert _takes_plain_path(text)
    assert render._render_blocks(text) == render._render_markdown_it(text)


@pytest.mark.parametrize("text", ["**a** b", "*a*.", "a **b** c", "- a\n- b", "> a\n> b", "x\n\n- **a**\n\ny"])
def test_simple_shapes_skip_markdown_it(text: str) -> None:
    assert _takes_plain_path(text)


@pytest.mark.parametrize("text", ["# h", "1. a", "* a", "- a\n\n- b", "a * b", "a**b**", "_a_", "a  \nb", " a",
                                  "www.x.org", "a &amp; b", "`x`", "> > a", "- a\n  b"])
def test_syntax_goes_to_markdown_it(text: str) -> None:
    assert not _takes_plain_path(text)


def test_mixed_post_renders_simple_blocks_directly() -> None:
    # The bench's 300-word post: only the paragraph with a bare URL needs
    # markdown-it; its prose, emphasis, quote and list do not.
    lines = LONG_POST.split("\n")
    blocks = render._blocks(lines)
    direct = [render._simple_block(lines[a:b], True, "") is not None for a, b in blocks]
    assert direct.count(False) == 1
    assert not direct[[i for i, (a, b) in enumerate(blocks) if "https://" in lines[a]][0]]


# Mostly prose, with every character the plain test looks at, line starts
# and ends, and blank lines, so both paths and their boundaries get exercised.
_PIECES = st.sampled_from([
    "word", "Word", "words here", " ", " ", " ", ".", ",", "'", '"', "!", "?", "(", ")", ":", ";", "/", "@", "#",
    ">", "<", "+", "-", "*", "_", "=", "|", "~", "`", "[", "]", "\\", "&", "1", "12", "1.", "2)", "\t", "\u00a0",
    "é", "日本", "😀", "\u2019", "\n", "\n", "\n\n", "\n\n", "\n \n", "  \n", "    ", "www.", "a.b", "x@y.z",
    "http://a.b", "**", "```", "~~~", "]:", "> ", "- ", "1. ", "# ", "---", "===", "\r", "\x00",
])
prose = st.lists(_PIECES, max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(prose)
@example("a\n\n- b\n\n  c\n\nd")
@example("a\n\n    b\n\n    c\n\nd")
def test_generated_text_matches_markdown_it(text: str) -> None:
    _check(text)


# Paragraphs of plain prose with Markdown blocks between them: the block
# boundaries (which Markdown runs go to markdown-it together) are the risk.
_BLOCKS = st.sampled_from([
    "**bold** start", "text with **bold**, then *em*.", "- **item** one\n- item *two*", "- x\n- y\n- z",
    "> quote with *em*\n> second line", "**unclosed bold", "a * b", "*a**", "- item  ", "-  two spaces",
    "plain words here", "another line\nof prose", "I\u2019m ok, thanks!", '"Quote" (aside) 50% > 4',
    "**bold** words", "*em* and _em_", "> quoted\n> more", "> quote", "- a\n- b", "- a", "1. one\n2. two",
    "3) three", "    indented code", "  two spaces", "# Heading", "Setext\n---", "Setext\n===", "***", "---",
    "see www.example.org", "a@b.co", "`code`", "```\nfence", "```", "~~~", "[ref]: http://a.b", "[ref]",
    "trailing  ", "tab\there", "  - nested\n    - deeper", "-", "*", ">", "",
])
_SEPS = st.sampled_from(["\n\n", "\n\n", "\n\n\n", "\n \n", "\n\t\n", "\n"])


@st.composite
def mixed(draw) -> str:
    parts = draw(st.lists(st.tuples(_BLOCKS, _SEPS), min_size=1, max_size=12))
    return "".join(b + s for b, s in parts)


@settings(max_examples=1500, deadline=None)
@given(mixed())
def test_mixed_blocks_match_markdown_it(text: str) -> None:
    _check(text)


# Words, spaces, punctuation and stars: emphasis that nearly qualifies.
_STARRY = st.lists(st.sampled_from(["word", "a", "1", "é", "_", "*", "*", "**", "**", "***", " ", " ", "\n", "\n\n",
                                    ".", ",", "!", ")", "(", "'", "\u2019", "-", "- ", "> ", "\u00a0", "\x1c", "\t"]),
                   max_size=30).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_STARRY)
def test_generated_emphasis_matches_markdown_it(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_arbitrary_text_matches_markdown_it(text: str) -> None:
    _check(text)
