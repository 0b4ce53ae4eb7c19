"""Stage 1: Markdown rendering and the nh3 sanitiser (the security boundary)."""
from __future__ import annotations

import functools
import html as _html
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from moderation.tools.evaluate import html_problems
from moderation.render import (
    ALLOWED_TAGS,
    LINK_REL,
    MAX_NESTING,
    NestingTooDeep,
    render,
    render_markdown,
    sanitise_html,
)

REL = f'rel="{LINK_REL}"'


@pytest.mark.parametrize("markdown, expected", [
    ("*em* **strong** ~~gone~~", "<p><em>em</em> <strong>strong</strong> <s>gone</s></p>"),
    ("# Title", "<h3>Title</h3>"),                 # headings demoted below the page's own
    ("#### Deep", "<h6>Deep</h6>"),
    ("###### Deepest", "<h6>Deepest</h6>"),
    ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
    ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
    ("3. three", '<ol start="3">\n<li>three</li>\n</ol>'),
    ("`code`", "<p><code>code</code></p>"),
    ("```\nblock\n```", "<pre><code>block\n</code></pre>"),
    ("<b>raw html</b>", "<p>&lt;b&gt;raw html&lt;/b&gt;</p>"),   # raw HTML is text
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
])
def test_markdown(markdown: str, expected: str) -> None:
    assert render(markdown).strip() == expected


def test_links_get_rel_and_only_safe_schemes() -> None:
    html = render("[ok](https://example.org) [mail](mailto:a@example.org) [bad](javascript:alert(1)) "
                  "[data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox)")
    assert f'<a href="https://example.org" {REL}>ok</a>' in html
    assert 'href="mailto:a@example.org"' in html
    assert "javascript:" not in html.replace("[bad](javascript:alert(1))", "")
    assert 'href="data:' not in html and 'href="vbscript:' not in html


def test_bare_urls_are_linkified() -> None:
    html = render("see www.example.org and https://example.com/page?x=1")
    assert f'<a href="http://www.example.org" {REL}>www.example.org</a>' in html
    assert 'href="https://example.com/page?x=1"' in html


def test_remote_images_become_links_not_inline_images() -> None:
    html = render("![a cat](https://example.org/cat.png)")
    assert "<img" not in html
    assert f'<a href="https://example.org/cat.png" {REL}>Image: a cat</a>' in html
    assert "<img" not in render("![x](data:image/png;base64,AAAA)")
    assert "data:" not in render("![x](data:image/png;base64,AAAA)")


def test_nesting_is_bounded() -> None:
    render_markdown(">" * (MAX_NESTING - 2) + " fine")
    with pytest.raises(NestingTooDeep):
        render_markdown(">" * (MAX_NESTING + 5) + " too deep")
    with pytest.raises(NestingTooDeep):
        render_markdown("".join("  " * i + "- item\n" for i in range(MAX_NESTING + 2)))


# Well-known attack shapes, written for these tests.
ATTACKS = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<svg onload=alert(1)><circle r=1></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="https://example.org"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="https://example.org"><input name=a><button>go</button></form>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<div onclick="alert(1)">click</div>',
    '<body onload=alert(1)>',
    '<scr<script>ipt>alert(1)</scr</script>ipt>',
    '<<script>script>alert(1)<</script>/script>',
    '<!--<script>alert(1)--><script>alert(1)</script>',
    '<style>@import "https://example.org/x.css";</style>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://example.org/">',
    '<a href="https://example.org" onmouseover="alert(1)" target="_blank">x</a>',
    '<template><script>alert(1)</script></template>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '"><img src=x onerror=alert(1)>',
    '<IMG SRC=`javascript:alert(1)`>',
    '<a href="\x01javascript:alert(1)">x</a>',
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_harmless_as_html_and_as_markdown(quiet_crisis, attack: str) -> None:
    from moderation import screen

    assert html_problems(sanitise_html(attack)) == []
    assert html_problems(screen(attack).html) == []


def test_html_problems_detects_what_it_should() -> None:
    """The checker used above must itself catch the dangerous shapes."""
    assert html_problems('<a href="javascript:alert(1)">x</a>')
    assert html_problems('<a href="&#106;avascript:x">x</a>')
    assert html_problems('<p onclick="x">x</p>')
    assert html_problems('<p style="x">x</p>')
    assert html_problems("<script></script>")
    assert html_problems('<a href="https://example.org">x</a>') == []


def test_sanitised_links_keep_rel_and_lose_other_attributes() -> None:
    out = sanitise_html('<a href="https://example.org" target="_blank" class="x" id="y" rel="opener">x</a>')
    assert out == f'<a href="https://example.org" {REL}>x</a>'


# -- properties -------------------------------------------------------------------

_fragments = st.sampled_from([
    "<", ">", "/", "=", '"', "'", " ", "script", "style", "iframe", "object", "embed", "svg", "math", "form",
    "img", "a", "p", "b", "href", "src", "onclick", "onerror", "style", "javascript:", "data:", "vbscript:",
    "http://x.org", "mailto:a@b.c", "&#106;", "&lt;", "<!--", "-->", "]]>", "\n", "\t", "\x00", "alert(1)",
    "<a href=", "<img src=x ", "<svg ", "<math>", "</", "`", "(", ")", "[", "]", "*", "#", "!",
])
html_like = st.lists(_fragments | st.text(max_size=5), max_size=40).map("".join)

_TAG_RE = re.compile(r"<\s*([a-zA-Z][\w:-]*)")
_BANNED = {"script", "style", "iframe", "object", "embed", "svg", "math", "form"}


def _tags(html: str) -> set[str]:
    return {t.lower() for t in _TAG_RE.findall(html)}


@settings(max_examples=300, deadline=None)
@given(html_like)
@example('<a href=<javascript:>')  # found by hypothesis: a relative URL, harmless
def test_sanitiser_properties(html: str) -> None:
    out = sanitise_html(html)
    assert html_problems(out) == []                       # no on*, style, bad URL, executable tag
    assert not (_tags(out) & _BANNED)
    assert _tags(out) <= set(ALLOWED_TAGS)
    for url in re.findall(r'href="([^"]*)"', out):
        # Read the URL the way a browser does: entities decoded, leading
        # controls/spaces and any tab or newline dropped; a scheme must start
        # with a letter ('<javascript:' is a relative URL, not a scheme).
        url = re.sub(r"[\t\n\r]", "", _html.unescape(url)).lstrip("".join(map(chr, range(33))))
        m = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", url)
        assert (m.group(1).lower() if m else None) in (None, "http", "https", "mailto")
    assert sanitise_html(out) == out                      # idempotent


@settings(max_examples=200, deadline=None)
@given(html_like)
def test_rendered_markdown_is_always_safe(text: str) -> None:
    try:
        out = render(text)
    except NestingTooDeep:
        return
    assert html_problems(out) == []
    assert _tags(out) <= set(ALLOWED_TAGS)
    assert sanitise_html(out) == out


_linky = st.lists(st.sampled_from([
    "see ", "www.", "example", ".org", ".com", ".co.uk", "http", "https", "://", "mailto:", "@", "a", "b.c",
    " ", "\n", "\n\n", "- ", "> ", "*", "[x](", ")", "/path", "?q=1", "#frag", "Mr.", "Smith", ". ", "ftp", "//",
    "é", "münchen.de", "1.2.3.4", "user", "localhost",
]), max_size=25).map("".join)


@functools.cache
def _reference_renderer():
    from moderation.render import _build

    return _build(fast=False)


@settings(max_examples=300, deadline=None)
@given(_linky)
def test_fast_linkify_pretest_changes_nothing(text: str) -> None:
    reference = _reference_renderer()
    try:
        ours = render_markdown(text)
    except NestingTooDeep:
        return
    assert ours == reference.render(text)


@pytest.mark.parametrize("text", ["//1.2.3.4", "//example.org", "ftp://x.org", "mailto:a@b.co", "x@y.org",
                                  "www.example.org", "example.org", "münchen.de", "see http://x.y/z."])
def test_fast_linkify_known_shapes(text: str) -> None:
    assert render_markdown(text) == _reference_renderer().render(text)
