"""The crisis detector's context readers (issue 16, "Rules are data"): each is
a small pure function of folded text, with its own table of cases."""
from __future__ import annotations

import pytest

from moderation import crisis


@pytest.mark.parametrize("prefix, subject", [
    ("i really ", "self"),
    ("honestly i'm so ", "self"),
    ("my sister is ", "specific"),
    ("he keeps saying he's ", "specific"),
    ("what do you say to someone who is ", "generic"),
    ("people who are ", "generic"),
    ("does anyone else feel ", "self"),          # "else" counts the writer in
    ("as someone who has been ", "self"),        # the writer describing themselves
    ("people in the us are ", "generic"),         # "us" the country, not the writer
    ("so ", None),                                # nobody named
])
def test_subject(prefix, subject):
    assert crisis.read_subject(prefix) == subject


@pytest.mark.parametrize("clause, negated", [
    ("i'm not ", True),
    ("i have never been ", True),
    ("i don't feel ", True),
    ("i don't know why i ", False),               # not a denial of what follows
    ("not gonna lie i'm ", False),
    ("i can't stop ", False),
    ("i'm so ", False),
    ("i'm trying not to ", False),
])
def test_negation(clause, negated):
    assert crisis.read_negation(clause) is negated


def test_negation_does_not_carry_through_an_and_list():
    assert crisis.read_negation("i'm not ", list_carries=False) is False


@pytest.mark.parametrize("sentence, tense", [
    ("two years ago i tried to kill myself.", "past"),
    ("i used to self-harm.", "past"),
    ("it's been 18 months since i last hurt myself.", "past"),
    ("my scars are old now.", "past"),
    ("i used to self-harm and i did again last night.", "now"),   # "again", "last night"
    ("i want to die.", "now"),
])
def test_tense(sentence, tense):
    assert crisis.read_tense(sentence) == tense


@pytest.mark.parametrize("line, quoted", [
    ("> i want to die", True),
    ("  > quoted after spaces", True),
    ("i want to die", False),
    ("i said > that", False),
])
def test_quote(line, quoted):
    assert crisis.read_quote(line) is quoted


@pytest.mark.parametrize("sentence, genre", [
    ("this song is about wanting to die.", True),
    ("a new study finds suicidal thoughts are common.", True),
    ("the lyrics go 'i want to die'.", True),
    ("i want to die.", False),
])
def test_genre(sentence, genre):
    assert crisis.read_genre(sentence) is genre


@pytest.mark.parametrize("sentence, question", [
    ("feeling suicidal?", True),
    ("how do you help someone who is suicidal? asking for a friend", True),
    ("i feel suicidal.", False),
])
def test_question(sentence, question):
    assert crisis.read_question(sentence) is question


@pytest.mark.parametrize("clause, hypothetical", [
    ("if i ever feel ", True),
    ("what if i ", True),
    ("i really ", False),
])
def test_hypothetical(clause, hypothetical):
    assert crisis.read_hypothetical(clause) is hypothetical


@pytest.mark.parametrize("sentence, words, figure", [
    ("i nearly died laughing at that", "died", "figure.die_of"),
    ("suicide squad was a terrible film", "suicide", "figure.suicide_squad"),
    ("i shot myself in the foot with that email", "shot myself", "figure.shoot_myself_in_the"),
    ("suicide prevention training is on friday", "suicide", "figure.topic_talk"),
    ("my suicide risk feels high tonight", "suicide", None),
    ("i want to die", "die", None),
])
def test_figure_of_speech(sentence, words, figure):
    start = sentence.index(words)
    assert crisis.read_figure(sentence, start, start + len(words)) == figure


@pytest.mark.parametrize("prefix, before, carries", [
    ("i have no depression, anxiety or ", "i have no ", True),
    ("i'm not tired, stressed and ", "i'm not ", False),    # only "or"/"nor" lists carry a denial
    ("i want to die", None, None),                         # no list
])
def test_list(prefix, before, carries):
    got = crisis.read_list(prefix)
    if before is None:
        assert got is None
    else:
        assert got == (before, carries)
