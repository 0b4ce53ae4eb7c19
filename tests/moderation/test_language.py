"""Other languages: text the English stages can't read goes to a person.

Non-English fixtures are written for these tests; the crisis ones state the
feeling plainly and carry no method detail.
"""
from __future__ import annotations

import pytest

from moderation import language, screen
from moderation.verdict import Reason

from .conftest import FakeFinding

# (language the text is in, text). Each must be named unsupported.
NOT_ENGLISH = [
    ("es", "Hola a todos, hoy me siento muy triste y no sé con quién hablar."),
    ("es", "Ya no quiero seguir viviendo. Pienso en el suicidio todos los días y nadie lo sabe."),
    ("fr", "Je me sens tellement seul ces derniers temps, personne ne me comprend."),
    ("fr", "je suis fatiguée de tout"),
    ("fr", "Je ne veux plus vivre."),
    ("de", "Ich fühle mich seit Wochen leer und weiß nicht mehr weiter."),
    ("de", "mir geht es heute schlecht"),
    ("pl", "Czuję się bardzo samotny i nie mam z kim porozmawiać."),
    ("pl", "jestem bardzo zmęczona"),
    ("ar", "أشعر بالحزن الشديد ولا أعرف ماذا أفعل"),
    ("ar", "مرحبا"),
    ("zh", "我最近心情很不好，不知道该跟谁说。"),
    ("zh", "我想死"),
    ("hi", "मैं बहुत अकेला महसूस कर रहा हूँ"),
    ("cy", "Dw i'n teimlo'n unig iawn heddiw a does neb i siarad â nhw."),
    ("cy", "Bore da pawb, sut dych chi heddiw?"),
    ("pt", "Estou me sentindo muito sozinha e não sei o que fazer."),
    ("it", "sono stanca di tutto"),
    ("nl", "Ik voel me al weken heel somber en weet niet wat ik moet doen."),
    ("ru", "Мне очень плохо и я не знаю, что делать."),
    ("tr", "Kendimi çok yalnız hissediyorum ve kimseyle konuşamıyorum."),
    ("ja", "最近とても辛くて、誰にも話せません。"),
    ("ko", "요즘 너무 힘들어요. 아무에게도 말할 수 없어요."),
    ("sw", "Ninajisikia mpweke sana na sijui la kufanya."),
    ("vi", "Tôi cảm thấy rất buồn và không biết phải làm gì."),
]

# English the way members write it, and text with too little language to judge.
READABLE = [
    "lol", "ok", "k", "brb", "omg same", "u ok hun?", "ugh", "hbu", "ikr!!!", "yesss", "mood",
    "idk tbh ngl im so done w everything rn",
    "gonna be afk for a bit",
    "thx 4 the advice m8",
    "wat r u doin 2nite",
    "hes literally so annoying lmaooo",
    "i cant sleep again smh",
    "feelin proper rubbish today tbh",
    "i fel so sadd todai and noone care",
    "HELP ME PLEASE I CANT DO THIS ANYMORE",
    "Feeling low. Again. Don't know why.",
    "i wanna die fr",
    "aye it's pure baltic the day",
    "wee bit scunnered tbh",
    "hiya pet, you alright?",
    "gud nite all x",
    "tbh ngl lowkey highkey vibing",
    "my therapist said CBT, my psych said SSRIs, idk",
    # emoji, kaomoji, numbers
    "😭😭😭", "❤️🙏", "ok 👍", "¯\\_(ツ)_/¯", "(╯°□°)╯︵ ┻━┻", "123456", "10/10",
    # code and links
    "```python\nfor i in range(10):\n    print(i)\n```",
    "`x = y + 1`",
    "https://www.mind.org.uk/information-support/",
    "check this out https://example.com/a/b?c=d",
    "see [this page](https://example.org/ayuda-en-espanol-para-todos) it helped",
    "@Sam_99 thanks!!", "#mentalhealthawareness",
    # names
    "Thanks Siobhán and Joaquín!", "Happy birthday Małgorzata", "shoutout to Nguyễn",
    "Hi from Łódź, I'm new here",
    # English with a foreign word or phrase
    "Had a lovely time at the fiesta, muy bien!",
    "I said merci beaucoup and left",
    "my abuela always says todo pasa",
    "feeling a bit of schadenfreude tbh",
    "c'est la vie I guess",
    "namaste everyone, hope you're all ok today",
    "Te quiero mamá, I love you so much mum",
    "Aroha nui to you all, kia kaha",
]


@pytest.mark.parametrize(("lang", "text"), NOT_ENGLISH)
def test_other_languages_are_named_unsupported(lang: str, text: str) -> None:
    found = language.assess(text)
    assert not found.supported, (lang, text, found)
    assert found.categories == {"language.unsupported"}


@pytest.mark.parametrize("text", READABLE)
def test_english_fragments_code_links_and_names_are_readable(text: str) -> None:
    found = language.assess(text)
    assert found.supported, (text, found)
    assert not found.categories and not found.reasons


def test_moderator_reason_names_the_language_in_plain_words() -> None:
    (reason,) = language.assess("Hola a todos, hoy me siento muy triste y no sé con quién hablar.").reasons
    assert reason.code == "language.unsupported"
    assert reason.explanation == "Written in a language the screening can't read (Spanish?)."
    (welsh,) = language.assess("Dw i'n teimlo'n unig iawn heddiw a does neb i siarad â nhw.").reasons
    assert "(Welsh?)" in welsh.explanation


def test_unsupported_text_is_published_flagged_low_with_international_signposting(quiet_crisis) -> None:
    v = screen("Czuję się bardzo samotny i nie mam z kim porozmawiać.", region="UK")
    assert (v.action, v.priority, v.risk) == ("publish_flagged", "low", "none")
    assert "language.unsupported" in v.categories
    assert v.signposting is not None and v.signposting.region == "INTL"
    assert v.engine["language"].startswith("py3langid@")


def test_crisis_in_another_language_reaches_a_person_with_international_helplines() -> None:
    """The English stages can't read it: nobody would see this without the language stage."""
    v = screen("Ya no quiero seguir viviendo. Pienso en el suicidio todos los días y nadie lo sabe.",
               region="UK")
    assert v.action == "publish_flagged" and v.needs_review
    assert "language.unsupported" in v.categories
    assert v.signposting is not None and v.signposting.region == "INTL"
    assert [s.name for s in v.signposting.services] == ["Find A Helpline"]


def test_an_english_crisis_word_in_other_language_keeps_its_tier() -> None:
    v = screen("Me siento suicidal y no sé qué hacer, nadie me escucha en casa.", region="UK")
    assert v.risk == "high" and (v.action, v.priority) == ("publish_flagged", "high")
    assert "language.unsupported" in v.categories
    assert v.signposting is not None and v.signposting.region == "INTL"


def test_imminent_risk_still_held_and_urgent(crisis_stub) -> None:
    crisis_stub(lambda text: FakeFinding("imminent", frozenset({"crisis.plan"}),
                                         (Reason("crisis.plan", 0, 5, "x", "A plan."),)))
    v = screen("Je ne veux plus vivre, c'est fini pour moi ce soir.", region="US")
    assert (v.action, v.priority, v.risk) == ("hold", "urgent", "imminent")
    assert "language.unsupported" in v.categories
    assert v.signposting.audience == "imminent" and v.signposting.region == "INTL"


def test_english_post_unchanged(quiet_crisis) -> None:
    v = screen("Had a rough week but my friends really helped, feeling a bit better now.", region="UK")
    assert (v.action, v.priority) == ("publish", None) and v.signposting is None
    assert "language.unsupported" not in v.categories


def test_a_broken_language_stage_holds_the_text(quiet_crisis, monkeypatch) -> None:
    def broken(text: str) -> None:
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(language, "assess", broken)
    v = screen("Hola a todos, hoy me siento muy triste.")
    assert v.action == "hold" and "screening_error" in v.categories
    assert v.engine["failed_stages"] == ["language"]
