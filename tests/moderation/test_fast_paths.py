"""The fast paths give exactly the answers of the slow, obvious ones.

Every speed-up in the screening hot path (shared tokenising, word-set gates
in front of regexes, combined scans) must never change a verdict. Each one
is checked here against a plain reference implementation, on hand-picked
cases and on generated text built from the words the gates look for, so
near-misses are common.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation import toxicity

# Words that open or close the gates, pronouns, punctuation that splits
# clauses, and a few non-ASCII look-alikes that IGNORECASE treats specially.
VOCAB = (
    "you u ur you're youre are r should deserve need to must ought kill gas deport hang shoot hate i i'm "
    "all those the fucking gays muslims women men people immigrants disabled mentally ill animals vermin die "
    "idiot moron loser pathetic worthless stupid waste of space piece shit freak bitch liar useless ugly "
    "nobody no one likes loves everyone hates shut up stfu fuck off screw go hell he she they him her "
    "know where live watch your back dead stab hurt find myself me my not never tells feel like "
    "\u017fhould \u212aill \u00e9 caf\u00e9 hello world thanks you\u2019re i\u2019m \u0130\u0131 \u03a3\u039f\u03a3 "
    "\u03c3\u03bf\u03c2 \ufb01ne"
).split()
# Whole phrases each gate exists for, so generated text often matches.
PHRASES = [
    "you are such a loser", "you're pathetic", "ur a waste of space", "you piece of shit", "u r ugly",
    "nobody likes you", "no one cares about u", "everyone hates you", "shut the fuck up", "stfu", "fuck you",
    "screw you", "go to hell", "all muslims are animals", "women should die", "gays need to be shot",
    "immigrants must be deported", "deport all the immigrants", "i hate fucking gays", "kill all gays",
    "i'll kill you", "i know where you live", "watch your back", "you're dead", "you deserve to be hurt",
    "depression tells you you're worthless", "you're not worthless",
]
SEPARATORS = [" ", " ", " ", ", ", ". ", "! ", "\n", "; ", ": ", "? ", "", "-", "'", "  "]


@st.composite
def gate_text(draw) -> str:
    word = st.one_of(st.sampled_from(VOCAB), st.sampled_from(PHRASES))
    parts = draw(st.lists(st.tuples(word, st.sampled_from(SEPARATORS)), max_size=30))
    text = "".join(w + s for w, s in parts)
    if draw(st.booleans()):
        text = text.upper() if draw(st.booleans()) else text.title()
    return text


def _reference_patterns(text: str) -> list[tuple[str, int, int]]:
    """pattern_findings as first written: only the original word gates
    (pronoun, threat-word and group-word sets), then each regex over the
    whole text."""
    words = set(toxicity._WORDS_RE.findall(text.lower()))
    targeted = not words.isdisjoint(toxicity._TARGET_WORDS)
    out = []
    if targeted and not words.isdisjoint(toxicity._THREAT_WORDS):
        out += [("abuse.threat", m.start(), m.end()) for m in toxicity._THREAT.finditer(text)]
    if not words.isdisjoint(toxicity._GROUP_WORDS):
        out += [("abuse.identity", m.start(), m.end()) for m in toxicity._IDENTITY.finditer(text)]
    if targeted or not words.isdisjoint(toxicity._INSULT_WORDS):
        out += [("abuse.toxic", m.start(), m.end()) for m in toxicity._INSULT.finditer(text)
                if not toxicity._GENERIC_YOU.search(text[max(0, m.start() - 25):m.start()])]
    return out


def _gated(text: str) -> list[tuple[str, int, int]]:
    return [(r.code, r.start, r.end) for r in toxicity.pattern_findings(text)]


GATE_CASES = [
    "you are such a loser", "You're pathetic", "muslims are animals", "I hate gays", "deport all immigrants",
    "gays should be shot", "nobody likes you", "everyone hates u", "shut the fuck up", "go to hell",
    "fuck off", "I know where you live", "watch your back", "you're dead.", "you deserve to be hurt",
    "\u017fhut up you", "women \u017fhould die", "I \u212aILL you", "u \u017ftupid", "people are lovely here", "thank you all",
    "you\u2019re pathetic", "caf\u00e9: you are such a loser", "\u0130 hate gays", "women should d\u0130e",
]


@pytest.mark.parametrize("text", GATE_CASES)
def test_pattern_gates_match_the_ungated_regexes(text: str) -> None:
    assert _gated(text) == _reference_patterns(text)


@settings(max_examples=400, deadline=None)
@given(gate_text())
def test_pattern_gates_match_the_ungated_regexes_on_generated_text(text: str) -> None:
    assert _gated(text) == _reference_patterns(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(gate_text(), st.text(max_size=200)))
def test_clause_scores_from_one_tokenising_pass_are_identical(text: str) -> None:
    fast = toxicity.fast_scorer()
    spans = toxicity.sentences(text)
    # Exact equality, not approx: same tokens, same summation order.
    assert fast.score_spans(text, spans) == [fast.score(s) for _, _, s in spans]


# -- rules ------------------------------------------------------------------------

from moderation import rules as _rules  # noqa: E402
from moderation.normalise import _LEET_ANY_RE, _LEET_PAIR_RE, fold  # noqa: E402

_RULES = _rules.default_rules()
_PHRASES = [w for r in _RULES.rules for w in r.words if len(_rules._NONWORD_RE.split(fold(w).text.strip())) > 1]
_WORDS = [w for r in _RULES.rules for w in r.words if w not in _PHRASES]


def _reference_ruleset() -> _rules.RuleSet:
    """The default rules with the phrase pre-check as first written: only
    the first word of a phrase is required before its regex runs."""
    ref = _rules.RuleSet(_RULES.rules, version=_RULES.version)
    ref._phrases = [(first, (), rule, rx) for first, _rest, rule, rx in ref._phrases]
    return ref


_REFERENCE = _reference_ruleset()


@st.composite
def rule_text(draw) -> str:
    """Text around watched phrases, mangled the ways people mangle them:
    letters repeated, words joined by "_" or punctuation, suffixes, leet."""
    items = []
    for _ in range(draw(st.integers(0, 8))):
        phrase = draw(st.sampled_from(_PHRASES + _WORDS + ["my", "end", "self", "life", "the", "cat"]))
        words = phrase.split()
        if draw(st.booleans()) and len(words) > 1:  # keep only some of the phrase's words
            words = draw(st.lists(st.sampled_from(words), min_size=1, max_size=len(words)))
        out = []
        for w in words:
            if w and draw(st.booleans()):
                i = draw(st.integers(0, len(w) - 1))
                w = w[:i] + w[i] * draw(st.integers(2, 4)) + w[i + 1:]
            out.append(w)
        sep = draw(st.sampled_from([" ", "_", "-", ". ", "  ", "__", "\n", "'"]))
        text = sep.join(out) + draw(st.sampled_from(["", "s", "ing", "ed", "_x", "y", "!"]))
        if draw(st.booleans()):
            text = text.translate(str.maketrans({"a": "@", "s": "$", "i": "1", "e": "3", "o": "0"}))
        items.append(text)
    return draw(st.sampled_from([" ", ", ", "\n"])).join(items)


def _hits(rs: _rules.RuleSet, text: str, kind: str) -> list[tuple[str, int, int]]:
    return sorted((h.rule.name, h.start, h.end) for h in rs.match(text, kind=kind))


@settings(max_examples=400, deadline=None)
@given(st.one_of(rule_text(), st.text(max_size=120)), st.sampled_from(["post", "chat", "title"]))
def test_phrase_word_precheck_finds_what_the_first_word_check_finds(text: str, kind: str) -> None:
    assert _hits(_RULES, text, kind) == _hits(_REFERENCE, text, kind)


@pytest.mark.parametrize("text", ["I keep cutting_myself", "cuttting   myyyself", "end...my___lifes",
                                  "ending my life", "my scars", "my scarss", "end my", "my life will end"])
def test_phrase_precheck_cases(text: str) -> None:
    assert _hits(_RULES, text, "post") == _hits(_REFERENCE, text, "post")


@settings(max_examples=300, deadline=None)
@given(st.one_of(rule_text(), st.text(max_size=120)))
def test_squeezed_tokens_cached_or_not(text: str) -> None:
    folded = fold(text).text
    expected = {_rules._squeeze(t) for t in _rules._WORD_RE.findall(folded)}
    assert _rules._squeezed_tokens(folded) == expected  # cold or partly cached
    assert _rules._squeezed_tokens(folded) == expected  # all cached: the fast path


@settings(max_examples=300, deadline=None)
@given(st.one_of(rule_text(), st.text(max_size=80)))
def test_leet_gate_is_a_superset_of_the_pair_test(text: str) -> None:
    lowered = text.lower()
    if _LEET_PAIR_RE.search(lowered):
        assert _LEET_ANY_RE.search(lowered)


# -- render -----------------------------------------------------------------------

from moderation import render as _render  # noqa: E402

_MARKDOWN_BITS = [
    "word ", "Mr. Smith", ". ", "www.", "WWW.", "mailto:", "MailTo:", "@", "//", "/", ":", "a.b", "3.4", "x._",
    "é.é", "¬.AL", "example.org", "<b>", "</p>", "<!-- c -->", "<div>\n", "<script>x</script>", "&amp;", "**", "*", "_",
    "~~", "`", "> ", "- ", "1. ", "# ", "    ", "\n", "\n\n", "[a](http://x.y)", "![i](x)", "\\", "---\n", "  \n",
]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(_MARKDOWN_BITS), max_size=20).map("".join), st.text(max_size=60)))
def test_fast_link_pretest_finds_a_match_exactly_when_the_plain_one_does(text: str) -> None:
    assert bool(_render._MAYBE_LINK_FAST_RE.search(text)) == bool(_render._MAYBE_LINK_RE.search(text))


_STOCK = _render._build(fast=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MARKDOWN_BITS), max_size=25).map("".join))
def test_fast_renderer_output_equals_the_stock_configuration(text: str) -> None:
    reference = _STOCK
    try:
        ours = _render.render_markdown(text)
    except _render.NestingTooDeep:
        return
    assert ours == reference.render(text)


def _reference_score(scorer: toxicity.LinearProfanityScorer, text: str) -> float:
    """The linear model evaluated with plain index loops (as first written)."""
    import math

    counts: dict[int, int] = {}
    for tok in toxicity._TOKEN_RE.findall(text.lower()):
        i = scorer._index.get(tok)
        if i is not None:
            counts[i] = counts.get(i, 0) + 1
    n = len(scorer._intercepts)
    dots = [0.0] * n
    norm = 1.0
    if counts:
        sq = 0.0
        for i, tf in counts.items():
            w = tf * scorer._idf[i]
            sq += w * w
            for k in range(n):
                dots[k] += w * scorer._coefs[i][k]
        norm = math.sqrt(sq)
    total = 0.0
    for k in range(n):
        a, b = scorer._cal[k]
        z = a * (dots[k] / norm + scorer._intercepts[k]) + b
        total += 1.0 / (1.0 + math.exp(z)) if z < 500 else 0.0
    return total / n


@settings(max_examples=200, deadline=None)
@given(st.one_of(gate_text(), st.text(max_size=80)))
def test_linear_scorer_gives_the_same_floats_as_plain_loops(text: str) -> None:
    scorer = toxicity.fast_scorer()
    assert scorer.score(text) == _reference_score(scorer, text)


@settings(max_examples=200, deadline=None)
@given(st.one_of(gate_text(), st.text(max_size=80)), st.integers(1, 4))
def test_unrolled_scorer_equals_the_list_loop(text: str, repeat: int) -> None:
    # Repeated text gives words seen more than once (tf > 1), which skip
    # the precomputed once-seen products.
    scorer = toxicity.fast_scorer()
    text = " ".join([text] * repeat)
    counts: dict[int, int] = {}
    for tok in toxicity._TOKEN_RE.findall(text.lower()):
        i = scorer._index.get(tok)
        if i is not None:
            counts[i] = counts.get(i, 0) + 1
    assert scorer._dots5(counts) == scorer._dots(counts)
    assert scorer.score(text) == _reference_score(scorer, text)


@settings(max_examples=400, deadline=None)
@given(st.one_of(rule_text(), st.text(max_size=120),
                 st.text(alphabet="ab_ \u00e9\u2019-.\n1\u0663\u00b2", max_size=40)))
def test_word_set_equals_the_regex_findall(text: str) -> None:
    assert _rules._word_set(text) == set(_rules._WORD_RE.findall(text))
    folded = fold(text).text
    assert _rules._word_set(folded) == set(_rules._WORD_RE.findall(folded))
    # The phone rule's digit count, by str.count instead of translate.
    assert sum(map(text.count, "0123456789")) == len(text) - len(text.translate(str.maketrans("", "", "0123456789")))


def _plain_phrase_regex(parts: list[str]) -> re.Pattern[str]:
    """A phrase's regex as first written: a lookbehind in front."""
    body = r"[\W_]+".join(_rules._repeat_pattern(p) for p in parts)
    return re.compile(rf"(?<!\w){body}(?:{'|'.join(_rules.SUFFIXES[1:])})?(?!\w)")


_PHRASE_PARTS = [[p for p in _rules._NONWORD_RE.split(fold(w.strip()).text) if p] for w in _PHRASES]
_KEYS = sorted(_RULES._single)


@settings(max_examples=300, deadline=None)
@given(st.one_of(rule_text(), st.text(max_size=120)))
def test_letter_first_word_regexes_find_the_same_spans(text: str) -> None:
    folded = fold(text).text
    for parts in _PHRASE_PARTS:
        ours = _rules._bounded_repeat_pattern(parts[0])
        assert [m.span() for m in _plain_phrase_regex(parts).finditer(folded)] == [
            m.span() for m in re.compile(ours + _plain_phrase_regex(parts).pattern[
                len(r"(?<!\w)" + _rules._repeat_pattern(parts[0])):]).finditer(folded)]
    for key in _KEYS:
        plain = re.compile(r"(?<!\w)" + "".join(re.escape(c) + "+" for c in key) + r"(?!\w)")
        assert [m.span() for m in plain.finditer(folded)] == [m.span() for m in _rules._locator(key).finditer(folded)]


@pytest.mark.parametrize("text", ["cutting myself", "ccutting myself", "xcutting myself", "\ncutting\nmyself",
                                  "I keep cuttting_myself", "_cutting myself", "é cutting myself"])
def test_letter_first_phrase_regex_cases(text: str) -> None:
    for parts, (_first, _rest, _rule, rx) in zip(_PHRASE_PARTS, _RULES._phrases):
        assert [m.span() for m in rx.finditer(text)] == [m.span() for m in _plain_phrase_regex(parts).finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.one_of(rule_text(), st.text(max_size=80)))
def test_single_letter_count_by_set_equals_the_loop(text: str) -> None:
    tokens = _rules._squeezed_tokens(fold(text).text)
    loop = sum(1 for t in tokens if len(t) == 1 and t not in _rules._COMMON_SINGLE)
    assert _rules._rare_singles(tokens, fold(text).text.isascii()) == loop
    assert _rules._rare_singles(tokens, False) == loop


_JOINY = st.text(alphabet="ab1_ .-'*\u2019\u00e9\n\t\x1c\x00@/\u2022", max_size=60)


@settings(max_examples=500, deadline=None)
@given(st.one_of(rule_text(), st.text(max_size=120), _JOINY))
def test_punct_joins_from_the_separators_equal_the_plain_scan(text: str) -> None:
    for t in (text, fold(text).text):
        assert [m.span() for m in _rules._punct_joins(t)] == [m.span() for m in _rules._PUNCT_JOIN_RE.finditer(t)]


@pytest.mark.parametrize("text", ["f.u.c.k", "a.b.c.d.e", "s-h-i-t", "x...y", "x....y", "a.-.b", "n1**er", "é.b",
                                  "a\u2022b", "a'b", "a\u2019b", "a. b", ".a.b", "a\x1cb", "a\x00b"])
def test_punct_joins_cases(text: str) -> None:
    assert [m.span() for m in _rules._punct_joins(text)] == [m.span() for m in _rules._PUNCT_JOIN_RE.finditer(text)]


# -- folding ------------------------------------------------------------------------

from moderation import normalise as _normalise  # noqa: E402


def _reference_fold_chars(text: str) -> tuple[str, list[int]]:
    """Folding as first written: every character through _fold_char."""
    out, idx = [], []
    for i, ch in enumerate(text):
        for c in _normalise._fold_char.__wrapped__(ch):
            out.append(c)
            idx.append(i)
    return "".join(out), idx


_FOLDY = st.text(alphabet="aB1 .\u2019\u00e9\u00c9\ufb01\u0130\u017f\u212a\uff21\u00df\U0001f600", max_size=60)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=120), _FOLDY, rule_text()))
def test_mixed_fold_equals_folding_each_character(text: str) -> None:
    folded, index = _normalise._fold_mixed(text)
    assert (folded, list(index)) == _reference_fold_chars(text)
    assert list(fold(text).index) == _reference_fold_chars(text)[1]


@pytest.mark.parametrize("text", ["You\u2019re a LOSER, café. Fine", "\u0130STANBUL you idiot. ok",
                                  "\u03a3\u039f\u03a3.\u039f you", "\u03a3\u039f\u03a3, shit",
                                  "\ufb01ne, you stupid prick",
                                  "\u212aill, u"])
def test_clause_scores_non_ascii_cases(text: str) -> None:
    fast = toxicity.fast_scorer()
    spans = toxicity.sentences(text)
    assert fast.score_spans(text, spans) == [fast.score(s) for _, _, s in spans]


def _reference_analyse(text: str, threshold: float) -> toxicity.ToxicityFinding:
    """analyse() with the fast scorer as first written: every clause's
    score in a dict, every clause through the loop."""
    reasons = toxicity.pattern_findings(text)
    sents = toxicity.sentences(text)
    fast = toxicity.fast_scorer()
    per = [{"toxicity": sc} for sc in fast.score_spans(text, sents)]
    max_score = 0.0
    for (start, end, sent), sc in zip(sents, per):
        tox = max(sc.get("toxicity", 0.0), sc.get("insult", 0.0), sc.get("severe_toxicity", 0.0))
        max_score = max(max_score, tox)
        if tox < threshold or toxicity.target(sent) != "other":
            continue
        reasons.append(toxicity._reason("abuse.toxic", text, start, end,
                                        f"Abusive language aimed at someone else (score {tox:.2f})."))
    return toxicity.ToxicityFinding(frozenset(r.code for r in reasons), tuple(reasons),
                                    {"toxicity": round(max_score, 4)}, fast.name)


@settings(max_examples=300, deadline=None)
@given(st.one_of(gate_text(), st.text(max_size=80)), st.sampled_from([0.0, 0.3, 0.5, 0.8, 0.95, 1.0]))
def test_analyse_scoring_only_flagged_clauses_changes_nothing(text: str, threshold: float) -> None:
    assert toxicity.analyse(text, threshold=threshold) == _reference_analyse(text, threshold)
