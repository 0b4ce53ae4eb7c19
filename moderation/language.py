"""Language check: is this text in a language the screening can read?

Every other stage (watched words, crisis lexicon, MiniLM, toxicity) reads
English. A post in Spanish would pass them all unseen, so a crisis in it
would never reach a person. This stage names such text
``language.unsupported``: the policy publishes it flagged at low priority so
a moderator reads it, and the writer is shown the international helplines.

A false "unsupported" floods moderators, so the stage only says so when it is
sure:

* Links, @handles (and e-mail domains), #tags, code, HTML entities and Markdown
  link targets are removed first; only letters count.
* A text written mostly in a non-Latin script (Arabic, Han, Devanagari,
  Cyrillic...) is not English whatever its length.
* Latin-script text is judged by ``py3langid`` (a small naive Bayes model
  over byte n-grams) only with enough letters and a confident, non-English
  answer that gives English next to no chance. Nigerian Pidgin counts as readable:
  the model gives it to informal and African-American English.

The model loads lazily, once per process (``warm_up`` loads it at start).
Its answers are read-only numpy work, safe from several threads.
Measured figures are in docs/crisis.md ("Other languages").
"""
from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from moderation.patterns import compile_linear, register_globals
from moderation.verdict import Reason

__all__ = ["LanguageFinding", "assess", "engine_info", "language_name", "warm_up", "CODE"]

CODE = "language.unsupported"
# Languages the English stages can read well enough ("zxx": no language at all).
READABLE = frozenset({"en", "pcm", "zxx"})
# Fewer letters than this is a chat fragment or a name: too little for a safe guess.
MIN_LETTERS = 12
# The model's calibrated confidence must reach this before a moderator is asked to read it.
MIN_CONFIDENCE = 0.9
# ...and English must be this unlikely: mixed English with a foreign phrase stays readable.
MAX_ENGLISH = 0.05
# Two letters of another script (one is a kaomoji like "(ツ)") decide a text with no Latin majority.
MIN_SCRIPT_LETTERS = 2

_STRIP = compile_linear(
    r"(?s:```.*?(?:```|$))"         # fenced code
    r"|`[^`\n]*`"                   # inline code
    r"|\]\([^)\s]*\)"               # Markdown link target
    r"|(?:https?://|www\.)\S+"      # links
    r"|[@#][\w.-]+"                 # handles, hashtags and e-mail domains
    r"|&#?\w+;",                    # HTML entities
    re.I,
)

_NAMES = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "ary": "Moroccan Arabic", "arz": "Egyptian Arabic",
    "az": "Azerbaijani", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "br": "Breton",
    "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German",
    "el": "Greek", "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fo": "Faroese", "fr": "French", "fy": "Frisian", "ga": "Irish", "gd": "Scottish Gaelic",
    "gl": "Galician", "gu": "Gujarati", "ha": "Hausa", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "ig": "Igbo",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh",
    "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin",
    "lb": "Luxembourgish", "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian", "mg": "Malagasy",
    "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese",
    "my": "Burmese", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian", "no": "Norwegian", "oc": "Occitan",
    "or": "Odia", "pa": "Punjabi", "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua",
    "ro": "Romanian", "ru": "Russian", "rw": "Kinyarwanda", "sa": "Sanskrit", "si": "Sinhala",
    "sk": "Slovak", "sl": "Slovenian", "sn": "Shona", "so": "Somali", "sq": "Albanian", "sr": "Serbian",
    "st": "Sesotho", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "tg": "Tajik",
    "th": "Thai", "tk": "Turkmen", "tl": "Tagalog", "tr": "Turkish", "tt": "Tatar", "ug": "Uyghur",
    "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "wuu": "Chinese", "xh": "Xhosa",
    "yo": "Yoruba", "yue": "Cantonese", "zh": "Chinese", "zu": "Zulu",
}


def language_name(code: str | None) -> str | None:
    """The English name of a language code, or None when unknown."""
    return _NAMES.get(code or "")


@dataclass(frozen=True)
class LanguageFinding:
    supported: bool
    language: str | None  # best guess (ISO 639 code), or None when not judged
    confidence: float
    letters: int
    reasons: tuple[Reason, ...] = ()

    @property
    def categories(self) -> frozenset[str]:
        return frozenset() if self.supported else frozenset({CODE})


_identifier: Any = None
_load_lock = threading.Lock()


def _model() -> Any:
    global _identifier
    if _identifier is None:
        with _load_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier
                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def warm_up() -> None:
    _model()


def engine_info() -> dict[str, str]:
    try:
        from importlib.metadata import version
        return {"language": f"py3langid@{version('py3langid')}"}
    except Exception as exc:  # reported, not raised
        return {"language": f"unavailable: {type(exc).__name__}"}


def _is_latin(ch: str) -> bool:
    if ch < "\u0250":  # ASCII, Latin-1 and Latin Extended-A/B
        return True
    return unicodedata.name(ch, "").startswith("LATIN")


def _unsupported(text: str, code: str | None, confidence: float, letters: int) -> LanguageFinding:
    name = language_name(code)
    guess = f" ({name}?)" if name else ""
    reason = Reason(CODE, 0, 0, "", f"Written in a language the screening can't read{guess}.")
    return LanguageFinding(False, code, confidence, letters, (reason,))


def assess(text: str) -> LanguageFinding:
    """Whether the English-reading stages can read ``text``."""
    stripped = _STRIP.sub(" ", text)
    letters = [c for c in stripped if c.isalpha()]
    latin = sum(1 for c in letters if _is_latin(c))
    other = len(letters) - latin
    if other >= MIN_SCRIPT_LETTERS and other > latin:
        # Another script: English cannot be written in it, however short.
        code, confidence = _model().classify(stripped)
        return _unsupported(text, code if code not in READABLE else None, float(confidence), len(letters))
    if latin < MIN_LETTERS:
        return LanguageFinding(True, None, 0.0, len(letters))
    ranked = _model().rank(stripped)
    code, confidence = ranked[0]
    english = dict(ranked).get("en", 0.0)
    if code in READABLE or confidence < MIN_CONFIDENCE or english > MAX_ENGLISH:
        return LanguageFinding(True, code, float(confidence), len(letters))
    return _unsupported(text, code, float(confidence), len(letters))


register_globals(__name__, globals())
