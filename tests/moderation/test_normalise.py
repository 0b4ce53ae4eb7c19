"""Cleaning (what is stored) and folding (what rules match against)."""
from __future__ import annotations

import pytest

from moderation.normalise import clean_text, fold


@pytest.mark.parametrize("raw, expected", [
    ("plain text", "plain text"),
    ("nul\x00byte", "nulbyte"),
    ("bell\x07 and escape\x1b[31m", "bell and escape[31m"),
    ("windows\r\nline\rends", "windows\nline\nends"),
    ("tabs\tand\nnewlines stay", "tabs\tand\nnewlines stay"),
    ("c1\x85control\x9b", "c1control"),
    # bidi overrides ("Trojan Source"): display order must equal stored order
    ("abc\u202edcba\u202c", "abcdcba"),
    ("\u2066isolate\u2069 \u200fmark", "isolate mark"),
    # zero-width characters hiding a word from matching
    ("s\u200bu\u200ci\u200dcide", "suicide"),
    ("soft\u00adhyphen and bom\ufeff", "softhyphen and bom"),
    # joiners are kept inside emoji sequences and non-Latin scripts
    ("family \U0001F468\u200d\U0001F469\u200d\U0001F467", "family \U0001F468\u200d\U0001F469\u200d\U0001F467"),
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
    # lone surrogates can't be stored as UTF-8
    ("bad\ud800surrogate", "bad\ufffdsurrogate"),
    ("accents stay: café naïve", "accents stay: café naïve"),
])
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_output_is_encodable() -> None:
    clean_text("x\udfff\ud83d").encode("utf-8")


@pytest.mark.parametrize("raw, folded", [
    ("HELLO", "hello"),
    ("f@gg0t", "faggot"),
    ("su1c1de", "suicide"),
    ("d!e", "die"),
    ("die!", "die!"),          # trailing "!" is punctuation
    ("5 pills", "5 pills"),    # numbers alone are not leetspeak
    ("2024", "2024"),
    ("Ünïcödé", "unicode"),
    ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
    ("$hit", "shit"),
])
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw).text == folded


def test_fold_spans_map_back_to_the_source() -> None:
    source = "Ünïcödé f@g here"
    f = fold(source)
    start = f.text.index("fag")
    s, e = f.span(start, start + 3)
    assert source[s:e] == "f@g"
