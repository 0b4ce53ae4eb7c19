"""The crisis detector's rules (``moderation.crisis``).

The *signals* are data: one record per signal in ``data/crisis_rules.json``
(id, kind, patterns, prefilter words, category, tier, explanation, and its
own positive and negative example sentences). ``load_rules`` reads and checks
the file and compiles every pattern through ``patterns.compile_linear`` (RE2,
linear time); a record RE2 cannot run, or whose example would be hidden by its
own prefilter, is refused at load with a message naming the record.
``tests/moderation/test_crisis_rules.py`` is generated from the records.

The *context* (who a signal is about, negation, tense, questions, quotes,
genre) stays in code below and in ``crisis.py``: it decides what a signal
means in its sentence.

Every pattern runs on the *folded* view of the text (``normalise.fold``:
lower case, accents stripped, leetspeak mapped, so "su1c1de" and "d!e"
arrive as "suicide" and "die"), with curly apostrophes made straight.
Patterns are deliberately about phrasing, never about particular posts: the
detector is judged on text from sources it has never seen.

Safety note on wording: the patterns name methods only as generically as
they must to recognise them (a quantity of pills, "rope"); they contain no
instructions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from moderation.normalise import fold
from moderation.patterns import NotLinear, Pattern, compile_linear, register_globals

RULES_FILE = Path(__file__).resolve().parent / "data" / "crisis_rules.json"

# Every pattern here runs on normalise.fold()'s view, which is already
# lower-case: no IGNORECASE (re2 and re both scan faster without it).
_F = 0

# Where RE2 cannot take a phrase list (a lookaround inside it), Python's
# engine runs it: bounded phrases with no nested repeats, so the work at each
# position is bounded; tests/security holds every list to the linear budget.
# Only the context lists below use it; the signal records are all RE2.
_WHY = "alternation of bounded phrases, no nested repeats"


def _rx(*alternatives: str) -> Pattern:
    return compile_linear(r"(?<![a-z])(?:" + "|".join(alternatives) + r")(?![a-z])", _F, why=_WHY)


# -- the signal records ----------------------------------------------------------

# The kinds, in the order they are tried: where two signals cover the same
# words, the earlier kind wins ("kill myself" is ideation, not the bare topic).
#   self     first-person ideation that names its own subject ("kill myself")
#   final    a final message or goodbye          act    an act in progress
#   plan     a plan or preparation               harm   self-harm
#   other    someone else's risk, in words that name them ("kill herself")
#   other_act someone else's act in progress or goodbye
#   subj     ideation whose subject is read from context ("want to die")
#   topic    the topic word alone (the model judges it)
#   passive  a passive death wish                distress hopelessness, distress
#   time, means  modifiers: imminent next to current ideation
#   method   method detail (held, whoever writes it)
#   encourage urging someone else to self-harm or die
#   figure   a figure of speech: a signal overlapping it is set aside
KINDS = ("self", "final", "act", "plan", "harm", "other", "other_act", "subj", "topic", "passive", "distress",
         "time", "means", "method", "encourage", "figure")
TIERS = ("none", "concern", "high", "imminent")
# Not gated by prefilter words: the modifiers only matter next to another
# signal (they run once one is found), and figures only run where one is.
UNGATED = frozenset(("time", "means", "figure"))
# Rare stems that open the gate for every signal (they occur inside
# obfuscated or run-together words that a word set cannot list).
ANCHOR_STEMS = ("suic", "suis", "sucid", "sewer", "kill", "k*", "kms", "unaliv", "self", "overdos", "hopeles",
                "d*", "s*", "su*")
_FIELDS = {"id", "kind", "category", "tier", "explanation", "patterns", "prefilter", "positive", "negative",
           "not_after", "followed_by", "not_followed_by", "note", "imminent_when"}
# Not member text (the rules file), but compiled like everything else.
_MACRO = compile_linear(r"\{([A-Z_]+)\}")
_ID = compile_linear(r"[a-z_]+\.[a-z0-9_]+")
# The words the gate reads in a sentence.
WORD_RE = compile_linear(r"[a-z0-9][a-z0-9'*]*", engine="re", why="one class run with nothing after it")


class RuleError(ValueError):
    """A record in the rules file is malformed, cannot run in linear time, or
    would silently do nothing."""


@dataclass(frozen=True, eq=False)
class Rule:
    id: str
    kind: str
    category: str | None
    tier: str
    explanation: str
    patterns: tuple[str, ...]      # as written, with {MACRO} names
    sources: tuple[str, ...]       # macros expanded
    prefilter: frozenset[str] | None  # None: not gated (UNGATED kinds)
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    not_after: Pattern | None = None
    followed_by: Pattern | None = None
    not_followed_by: Pattern | None = None
    note: str = ""
    # plan, final, act: when the signal makes a text imminent: "alone", with
    # a "timeframe" in its sentence (or other current risk), or only with
    # other current "risk" in the text (or beside other such signs); None:
    # the kind's own reading (crisis._judge).
    imminent_when: str | None = None

    def guarded(self) -> bool:
        return self.not_after is not None or self.followed_by is not None or self.not_followed_by is not None

    def guards_pass(self, text: str, s: int, e: int) -> bool:
        """The conditions on the words around a match (what Python's
        lookarounds said, which RE2 cannot run)."""
        if self.not_after is not None and self.not_after.search(text, max(0, s - 40), s):
            return False
        if self.followed_by is not None and not self.followed_by.match(text, e):
            return False
        return not (self.not_followed_by is not None and self.not_followed_by.match(text, e))


def gate_words(text: str) -> set[str]:
    return set(WORD_RE.findall(text))


def opens(words: set[str], prefilter: frozenset[str] | None) -> bool:
    """Whether a sentence holding ``words`` can match a rule with this prefilter."""
    if prefilter is None or not words.isdisjoint(prefilter):
        return True
    return any(w.startswith(ANCHOR_STEMS) for w in words)


class Scanner:
    """All the rules of one kind, run as one RE2 alternation (each record a
    named group, so a match says which record found it), plus the few
    records with conditions on the words around them, run on their own."""

    def __init__(self, kind: str, rules: list[Rule], name: str | None) -> None:
        self.kind = kind
        self.rules = rules
        self.group_rule: dict[str, tuple[int, Rule]] = {}
        alts: list[str] = []
        self.guarded: list[tuple[int, Rule, Pattern]] = []
        for order, rule in enumerate(rules):
            if rule.guarded():
                self.guarded.append((order, rule, _compile(rule, "|".join(f"(?:{s})" for s in rule.sources),
                                                           name and f"{name}.{rule.id.partition('.')[2]}")))
                continue
            for j, s in enumerate(rule.sources):
                g = f"r{order}_{j}"
                self.group_rule[g] = (order, rule)
                alts.append(f"(?P<{g}>{s})")
        self.pattern = (compile_linear(r"(?<![a-z])(?:" + "|".join(alts) + r")(?![a-z])", _F, name=name)
                        if alts else None)
        self.prefilter: frozenset[str] | None = (
            None if kind in UNGATED else frozenset().union(*(r.prefilter or () for r in rules)))

    def _which(self, m) -> tuple[int, Rule]:
        for g, v in m.groupdict().items():
            if v is not None:
                return self.group_rule[g]
        raise AssertionError("a match with no record group")

    def finditer(self, text: str, spans: list[tuple[int, int]]) -> Iterator[tuple[int, int, Rule]]:
        """(start, end, rule) for the kind's matches in each span, leftmost
        first and not overlapping, as one alternation in record order would
        find them."""
        for a, b in spans:
            found: list[tuple[int, int, int, Rule]] = []
            if self.pattern is not None:
                for m in self.pattern.finditer(text, a, b):
                    order, rule = self._which(m)
                    found.append((m.start(), order, m.end(), rule))
            if not self.guarded:
                for s, _, e, rule in found:
                    yield s, e, rule
                continue
            for order, rule, pat in self.guarded:
                for m in pat.finditer(text, a, b):
                    if rule.guards_pass(text, m.start(), m.end()):
                        found.append((m.start(), order, m.end(), rule))
            found.sort(key=lambda x: (x[0], x[1]))
            last = -1
            for s, _, e, rule in found:
                if s >= last:
                    last = e if e > s else s + 1
                    yield s, e, rule


def _compile(rule: Rule, source: str, name: str | None) -> Pattern:
    # Each record was compiled on its own in _record, so this cannot fail.
    return compile_linear(r"(?<![a-z])(?:" + source + r")(?![a-z])", _F, name=name)


def _guard(rid: str, field: str, source: str | list[str] | None) -> Pattern | None:
    if source is None:
        return None
    if isinstance(source, list):
        source = "|".join(f"(?:{s})" for s in source)
    if not isinstance(source, str) or not source:
        raise RuleError(f"crisis rule {rid}: {field} must be a pattern or a list of patterns")
    try:
        # Not registered for the whole-text adversarial scan: a guard only
        # ever runs anchored at one match's edge (or over the 40 characters
        # before it), where a bounded phrase list costs a bounded time; a
        # scan of a whole crafted text would time its matches, not its use.
        return compile_linear(rf"(?:{source})\Z" if field == "not_after" else f"(?:{source})", _F)
    except NotLinear as exc:
        raise RuleError(f"crisis rule {rid}: RE2 cannot run its {field} pattern ({exc})") from None


def _fold(text: str) -> str:
    return fold(text).text.replace("\u2019", "'").replace("\u2018", "'")


def _check_examples(rule: Rule) -> None:
    """The trap the issue names: a pattern that only runs where its prefilter
    words are, and a phrase added to the pattern without its word, silently
    does nothing. Every match of the record's pattern in its own positive
    examples must hold one of its prefilter words (or a rare stem)."""
    if rule.prefilter is None:
        return
    whole = compile_linear("|".join(f"(?:{s})" for s in rule.sources))
    for ex in rule.positive:
        folded = _fold(ex)
        for m in whole.finditer(folded):
            if not opens(gate_words(m.group()), rule.prefilter):
                raise RuleError(f"crisis rule {rule.id}: its pattern matches {m.group()!r} in its positive "
                                f"example {ex!r}, but those words hold none of its prefilter words "
                                f"{sorted(rule.prefilter)}: the gate would hide it. Add the word to \"prefilter\".")


def _str_list(rid: str, rec: dict, key: str, min_len: int = 0) -> tuple[str, ...]:
    v = rec.get(key)
    if not isinstance(v, list) or len(v) < min_len or not all(isinstance(x, str) and x.strip() for x in v):
        raise RuleError(f"crisis rule {rid}: {key!r} must be a list of at least {min_len} non-empty strings")
    return tuple(v)


IMMINENT_WHEN = ("alone", "timeframe", "risk")


def _imminent_when(rid: str, kind: str, value) -> str | None:
    if value is not None and (value not in IMMINENT_WHEN or kind not in ("plan", "final", "act", "other_act")):
        raise RuleError(f"crisis rule {rid}: imminent_when is one of {', '.join(IMMINENT_WHEN)}, and only for "
                        f"plan, final and act rules")
    return value


def _record(rec: dict, macros: dict[str, str]) -> Rule:
    rid = rec.get("id") if isinstance(rec, dict) else None
    if not isinstance(rid, str) or not _ID.fullmatch(rid):
        raise RuleError(f"crisis rule {rid!r}: every record needs an id like \"kind.name\" (a-z, 0-9, _)")
    unknown = set(rec) - _FIELDS
    if unknown:
        raise RuleError(f"crisis rule {rid}: unknown fields {sorted(unknown)}")
    kind = rec.get("kind")
    if kind not in KINDS:
        raise RuleError(f"crisis rule {rid}: kind {kind!r} is not one of {', '.join(KINDS)}")
    if rec.get("tier") not in TIERS:
        raise RuleError(f"crisis rule {rid}: tier {rec.get('tier')!r} is not one of {', '.join(TIERS)}")
    category = rec.get("category")
    if not (category is None or isinstance(category, str) and category):
        raise RuleError(f"crisis rule {rid}: category must be a reason code or null")
    expl = rec.get("explanation")
    if not isinstance(expl, str) or not expl.strip():
        raise RuleError(f"crisis rule {rid}: explanation must say what was found")
    patterns = _str_list(rid, rec, "patterns", 1)

    def expand(p: str) -> str:
        def sub(m) -> str:
            if m.group(1) not in macros:
                raise RuleError(f"crisis rule {rid}: unknown macro {{{m.group(1)}}} (known: {', '.join(macros)})")
            return macros[m.group(1)]
        return _MACRO.sub(sub, p)

    sources = tuple(expand(p) for p in patterns)
    pre = rec.get("prefilter")
    if kind in UNGATED:
        if pre not in (None, []):
            raise RuleError(f"crisis rule {rid}: a {kind} rule is not gated, so it takes no prefilter words")
        prefilter = None
    else:
        if not isinstance(pre, list) or not all(isinstance(w, str) and w == w.strip().lower() and w for w in pre):
            raise RuleError(f"crisis rule {rid}: prefilter must be a list of lower-case words (empty: only the "
                            f"rare stems {', '.join(ANCHOR_STEMS)} open it)")
        prefilter = frozenset(pre)
    rule = Rule(rid, kind, category, rec["tier"], expl, patterns, sources, prefilter,
                _str_list(rid, rec, "positive", 1), _str_list(rid, rec, "negative", 1),
                _guard(rid, "not_after", rec.get("not_after")),
                _guard(rid, "followed_by", rec.get("followed_by")),
                _guard(rid, "not_followed_by", rec.get("not_followed_by")), rec.get("note", ""),
                _imminent_when(rid, kind, rec.get("imminent_when")))
    for s in sources:  # each record must run on RE2 on its own, so the message can name it
        try:
            Pattern(r"(?<![a-z])(?:" + s + r")(?![a-z])", _F)
        except NotLinear as exc:
            raise RuleError(f"crisis rule {rid}: RE2 cannot run its pattern {s!r} ({exc}); write it without "
                            f"lookarounds or backreferences (conditions on the words around a match go in "
                            f"not_after / followed_by / not_followed_by)") from None
        except Exception as exc:
            raise RuleError(f"crisis rule {rid}: the pattern {s!r} does not compile ({exc})") from None
    _check_examples(rule)
    return rule


@dataclass(frozen=True)
class RuleSet:
    version: str
    macros: dict[str, str]
    rules: tuple[Rule, ...]
    by_id: dict[str, Rule]
    scanners: dict[str, Scanner]


def load_rules(path: Path | str = RULES_FILE, *, name: str | None = None) -> RuleSet:
    """Read, check and compile the rules file (see the module docstring).
    ``name`` registers the compiled patterns under it (the shipped rules are
    registered, so tests/security holds them to the linear budget)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuleError(f"crisis rules file {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("records"), list) or not isinstance(data.get("version"), str):
        raise RuleError(f"crisis rules file {path}: expected {{\"version\": ..., \"macros\": {{...}}, \"records\": [...]}}")
    macros = data.get("macros") or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in macros.items()):
        raise RuleError(f"crisis rules file {path}: macros must map NAME to a pattern")
    macros = {k: _MACRO.sub(lambda m: macros.get(m.group(1), m.group()), v) for k, v in macros.items()}
    rules = [_record(rec, macros) for rec in data["records"]]
    by_id: dict[str, Rule] = {}
    for r in rules:
        if r.id in by_id:
            raise RuleError(f"crisis rule {r.id}: the id is used twice")
        by_id[r.id] = r
    scanners = {kind: Scanner(kind, [r for r in rules if r.kind == kind], name and f"{name}.{kind}")
                for kind in KINDS if any(r.kind == kind for r in rules)}
    return RuleSet(data["version"], macros, tuple(rules), by_id, scanners)


RULES = load_rules(name="moderation.crisis_lexicon.RULES")
VERSION = RULES.version
SUICIDE = RULES.macros["SUICIDE"]
SUICIDAL = RULES.macros["SUICIDAL"]
KILL = RULES.macros["KILL"]
MYSELF = RULES.macros["MYSELF"]
DIE = RULES.macros["DIE"]
# Per gated kind, the words one of which every match of its patterns holds
# (the union of its records' prefilter words; the rare stems open all).
KIND_ANCHORS: dict[str, frozenset[str]] = {k: s.prefilter for k, s in RULES.scanners.items() if s.prefilter is not None}

# -- context ---------------------------------------------------------------------

NEGATION = compile_linear(
    r"(?<![a-z])(?:not|never|no longer|don'?t|do not|doesn'?t|didn'?t|isn'?t|wasn'?t|aren'?t|ain'?t|won'?t|wouldn'?t|"
    r"shouldn'?t|nor|no|nothing like|far from|stopped|stop)(?: \w+){0,3} ?$"
)
# "I don't know why I want to die" is not a negation of wanting to die.
NOT_NEGATION = compile_linear(r"(?:don'?t|do not|didn'?t|wouldn'?t) (?:mind|know|care|understand|get|think anyone|see why)|can'?t stop|"
                          r"reasons? not to|trying not to|try not to|hard not to|how not to|"
                          # wishing not to be suicidal says one is: "can I just not be suicidal for one day?"
                          r"(?:can i|could i|i wish i could|i just want to|i want to|i wanna|like) (?:just )?not (?:to )?be|"
                          r"no one|nobody|not sure|not even|not gonna lie|not going to lie|ngl|not to be dramatic|"
                          r"never stop|not ok|not okay|not fine|not well|never (?:been|felt) (?:so |more |this |as )|"
                          r"never (?:been|felt) (?:close|closer|ready|sure)|never wanted (?:anything|something) (?:so|more)")

PAST = _rx(
    r"used to", r"(?:years?|months?|ages) ago", r"a (?:long )?(?:time|while) ago", r"back (?:then|when|in)",
    r"in the past", r"when i was (?:younger|little|a kid|a child|a teen|a teenager|in school|at school|\d+)",
    r"as a (?:teen|teenager|kid|child)", r"in (?:high ?school|middle school|college|uni|university|my teens|my twenties)",
    r"(?:i|i've|i have|i had) (?:was|were|been) (?:suicidal|(?:really |very )?depressed)",
    r"was (?:a |an )?(?:\w+ )?(?:suicidal|self[- ]?harming|cutting)",
    r"(?:teenage|younger|past|old|little|teen|high ?school|\d+ ?(?:year|yr) ?old) me", r"(?:last|that) (?:year|summer|winter|spring|autumn|fall)",
    r"(?:i|i've|i have) (?:tried|attempted)", r"my (?:first |last |previous |past )?(?:attempt|attempts)",
    r"since i (?:last|stopped)", r"(?:scars|cuts) (?:are|have) (?:\w+ )?(?:old|faded|healed)", r"old scars",
    r"survived", r"(?:i|i've|i have) (?:recovered|been recovering)", r"in recovery", r"(?:\d+|a|one|two|three|six) "
    r"(?:days?|weeks?|months?|years?) (?:clean|free|sober)", r"i'?m (?:doing )?(?:so much |much |a lot )?better now",
    r"wanted to die", r"felt suicidal", r"would have", r"(?:got|getting|found|finding) (?:help|better)",
    r"(?:wasn'?t|weren'?t) (?:for|there)",
)
RECENT = _rx(
    r"just now", r"(?:an|one|a few|\d+) (?:hours?|minutes?|mins?) ago", r"last night", r"earlier today",
    r"this (?:morning|evening|afternoon)", r"tonight", r"again", r"still", r"right now", r"rn", r"today",
)
# "If I'm ever suicidal, you're who I'd call": a pure hypothetical about the
# future, not a disclosure (no flag at all, unlike other hypotheticals).
PURE_HYPOTHETICAL = compile_linear(r"(?<![a-z])(?:(?:if|when|in case) (?:i|i'm|im|i am|i was|i were|i get|i feel)(?: \w+)? ever|"
                               r"imagine|pretend|hypothetically)(?![a-z])")
HYPOTHETICAL = compile_linear(r"(?<![a-z])(?:if|what if|imagine|suppose|supposing|pretend|hypothetically|as if|"
                          r"even if|unless|whether)(?:[^a-z,;:][^,;:]*)?$")
# Genre markers: a sentence that reports a song, film, book, game or study is
# talking about the topic, not disclosing.
GENRE = _rx(
    r"lyrics?", r"(?:this|that|the|a|new) (?:song|album|track|film|movie|show|episode|book|novel|chapter|game|"
    r"character|documentary|study|survey|report|article|headline|poll|research)", r"according to", r"\d+ ?%",
    r"percent", r"rates? of", r"study finds", r"researchers", r"articles?", r"tweets?", r"posts? about",
    r"news",
)
# The singing words want a full word boundary (digits and "_" too), which
# RE2 cannot write inside the list: a separate short pattern.
GENRE_WORDS = compile_linear(r"\b(?:song|sings?|sang)\b", engine="re", why="at most six characters long")
# Generic "someone" and "people": talking about the topic.
GENERIC_PEOPLE = frozenset(
    "someone somebody anyone anybody people person persons everyone everybody folks individuals man woman men women guy "
    "guys girl girls boy boys teen teens teenagers kids children students patients veterans users youth adults "
    "character characters you u ur your yourself ya y'all youre you're u're whoever".split()
)
SPECIFIC_PEOPLE = frozenset(
    "he she they him her them his hers their theirs he's she's they're hes shes theyre he'd she'd they'd "
    "he'll she'll they'll hed shed theyd himself herself themselves "
    "friend friends bestie bff sister brother sis bro mum mom mother mama mommy dad father papa son daughter "
    "partner boyfriend girlfriend bf gf wife husband fiance fiancee cousin aunt uncle grandma grandpa gran nan "
    "roommate flatmate housemate colleague coworker classmate neighbour neighbor child kid niece nephew ex "
    "stepmom stepdad stepmum sibling siblings parent parents member mate pal buddy".split()
)
# "am" has no other subject than the writer ("Am so suicidal anyway").
SELF_PEOPLE = frozenset("i i'm im i've ive i'd id i'll me my myself mine we we're us our ourselves am ima i'ma".split())

# A sentence with "?" and no first-person subject is usually asking others.
QUESTION_START = compile_linear(r"^(?:what|how|why|when|who|where|should|can|could|would|do|does|did|is|are|has|have|"
                            r"will|anyone|has anyone|does anyone)(?!\w)")


# -- what the semantic layer reads -------------------------------------------------
# When the rules found nothing, the model reads a sentence only if it holds
# one of these words: the vocabulary of distress, loss and harm. A sentence
# about the weather or a recipe cannot be a disclosure the rules missed, and
# skipping it is most of the model's cost on an ordinary post (on the dev set
# this halves the sentences embedded at the same recall; see docs/crisis.md).
SEMANTIC_CUES = frozenset("""
feel feeling feelings felt tired exhausted alone lonely anymore hate life living alive die dead death dying end ending
hurt hurting pain painful hopeless worthless useless pointless sad depressed depression cry crying cried empty numb
give giving point nothing nobody noone suffer suffering scared afraid worse worst wish wake escape enough done
kill myself broken lost trapped stuck burden failure ugly disgusting ruined cope struggle struggling goodbye sorry
voices urge urges gone disappear exist existing miserable misery despair darkness dark hopelessness sick fault
unloved unwanted isolated leave tonight forever overdose pills meds hospital crisis attempt attempts tried scars cut
harm bridge rope gun knife blade wrists can't cant cannot
""".split())
register_globals(__name__, globals())
