"""The abuse judge's training and held-out data, read from ``../shared/data``
at run time (nothing is copied into Kindred: ids and labels only).

Every source is split by *source item*, never at random across
near-duplicates: a text's group is its post (Stormfront sentences share
their post id) or else its normalised wording (retweets and reposts of one
tweet normalise to the same key), and a group's hash decides its split, so
one wording never sits on both sides.

Labels are the four outputs of the judge (``abuse.LABELS``). Where a source
says nothing about one of them the label is ``None`` (masked in training):
the implicit-hate set says whether a tweet is hateful, not whether it is a
threat unless its second stage says so.

Licences (docs/moderation.md, "Abuse
Detection"): Davidson et al. 2017 MIT; Implicit Hate Corpus MIT; Stormfront (de Gibert et al. 2018) CC-BY-SA 3.0; OpenAI
moderation set MIT; DiaSafety user turns and construct-tracker posts
Apache-2.0; XSTest CC-BY-4.0; Kindred's own abuse suite (train split only).
The Reddit hate/counter-hate pairs, the crisis dev set and the IRF posts
state no licence, so they are evaluation only and never shape the shipped
weights.
"""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any, Iterator

from moderation.abuse import LABELS, prep
from moderation.patterns import compile_linear

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SUITE = ROOT / "moderation" / "data" / "abuse_suite.jsonl"
HELD_OUT = 0.2

DATASETS = {
    "davidson2017": {"file": "toxicity/toxicity-dev.jsonl", "licence": "MIT",
                     "cite": "Davidson et al. 2017, hate speech and offensive language tweets"},
    "implicit_hate": {"file": "toxicity/extra/implicit-hate.jsonl", "licence": "MIT",
                      "cite": "ElSherief et al. 2021, Implicit Hate Corpus"},
    "stormfront": {"file": "toxicity/extra/stormfront-sentences.jsonl", "licence": "CC-BY-SA-3.0",
                   "cite": "de Gibert et al. 2018, hate speech from a white supremacist forum"},
    "openai_moderation": {"file": "moderation-openai/openai-moderation-1680.jsonl", "licence": "MIT",
                          "cite": "OpenAI moderation evaluation set, 2022"},
    "kindred_suite": {"file": "moderation/data/abuse_suite.jsonl (split=train only)",
                      "licence": "Kindred's own (written for the project)", "cite": "Kindred abuse functional suite"},
}
# Ordinary text that is not abuse, so the judge learns what a forum's
# everyday posts, distress, health questions and harmless uses of violent
# words look like (every output is False for these).
BENIGN = {
    "diasafety": {"file": "crisis/extra/diasafety-user-turns.jsonl", "licence": "Apache-2.0",
                  "cite": "Sun et al. 2022, DiaSafety user turns (distress and health-question chat only)"},
    "xstest": {"file": "crisis/extra/xstest-prompts.jsonl", "licence": "CC-BY-4.0",
               "cite": "Röttger et al. 2024, XSTest safe prompts (violent words used harmlessly)"},
    "rallypoint": {"file": "crisis/extra/rallypoint-reddit-mental-health.jsonl", "licence": "Apache-2.0",
                   "cite": "Low et al., construct-tracker RallyPoint and Reddit posts"},
}
DATASETS.update(BENIGN)
EVAL_ONLY = {"counter_hate": {"file": "toxicity/extra/reddit-hate-counterhate-context.jsonl",
                              "licence": "none stated (evaluation only)",
                              "cite": "Yu et al. 2022, Reddit hate and counter-hate in context"},
             "crisis_dev": {"file": "crisis/crisis-dev.jsonl", "licence": "none stated (evaluation only)",
                            "cite": "tweets that say 'suicidal' and Reddit depression/SuicideWatch posts: "
                                    "distress, never abuse"},
             "irf": {"file": "crisis/extra/irf-interpersonal-risk.jsonl", "licence": "none stated (evaluation only)",
                     "cite": "Garg et al. 2023, Reddit posts on belonging and burden: distress, never abuse"}}

_RT = compile_linear(r"^\s*(?:rt\s+)?(?:@user:?\s*)+", engine="re",
                     why="anchored at the start; each repeat consumes '@user' so nothing is retried")
_NON_WORD = compile_linear(r"[^a-z0-9]+")


def group_key(text: str) -> str:
    """Near-duplicates share a key: case, punctuation, links, names and a
    leading retweet marker are ignored."""
    t = _RT.sub("", prep(text).lower())
    return _NON_WORD.sub(" ", t.replace("@user", " ").replace("http", " ")).strip()


def split_of(group: str) -> str:
    h = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "heldout" if h < HELD_OUT else "train"


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _row(source: str, item_id: str, text: str, labels: dict[str, bool | None], group: str | None = None,
         kind: str = "") -> dict[str, Any]:
    g = group or group_key(text)
    return {"source": source, "id": item_id, "text": prep(text), "group": g, "split": split_of(f"{source}:{g}"),
            "labels": [labels.get(k) for k in LABELS], "kind": kind}


def _none(**known: bool) -> dict[str, bool | None]:
    return dict(known)


def davidson(data: Path) -> list[dict[str, Any]]:
    out = []
    for it in _read(data / DATASETS["davidson2017"]["file"]):
        if it["source"] != "davidson2017":
            continue
        hate = it["source_label"] == "hate_speech"
        off = it["source_label"] == "offensive_language"
        # Offensive tweets are mostly swearing with no stated target: they
        # say nothing reliable about an insult aimed at a person, so they
        # teach only "not identity hate, not a threat".
        labels = _none(**{"abuse.identity": hate, "abuse.threat": False if not hate else None,
                          "abuse.toxic": (None if off else hate), "harm.encouragement": False})
        out.append(_row("davidson2017", it["id"], it["text"], labels, kind=it["source_label"]))
    return out


def implicit_hate(data: Path) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    threat: set[str] = set()
    for it in _read(data / DATASETS["implicit_hate"]["file"]):
        if it["stage"] == "stg2":
            if it["label"] == "threatening":
                threat.add(group_key(it["text"]))
            continue
        hate = it["label"] != "not_hate"
        labels = _none(**{"abuse.identity": hate, "abuse.threat": False if not hate else None,
                          "abuse.toxic": False if not hate else None, "harm.encouragement": False})
        r = _row("implicit_hate", it["id"], it["text"], labels, kind=it["label"])
        rows.setdefault(r["group"], r)
    for g in threat & rows.keys():
        rows[g]["labels"][LABELS.index("abuse.threat")] = True
        rows[g]["kind"] = "threatening"
    return list(rows.values())


def stormfront(data: Path) -> list[dict[str, Any]]:
    out = []
    for it in _read(data / DATASETS["stormfront"]["file"]):
        if it["label"] not in ("hate", "noHate"):
            continue  # "relation" needs its neighbours; "idk/skip" is unlabelled
        hate = it["label"] == "hate"
        post = it["id"].rsplit("_", 1)[0]
        labels = _none(**{"abuse.identity": hate, "abuse.threat": False if not hate else None,
                          "abuse.toxic": False if not hate else None, "harm.encouragement": False})
        out.append(_row("stormfront", it["id"], it["text"], labels, group=post, kind=it["label"]))
    return out


def openai_moderation(data: Path) -> list[dict[str, Any]]:
    out = []
    for it in _read(data / DATASETS["openai_moderation"]["file"]):
        lab = it.get("labels", {})

        def get(k: str) -> bool | None:
            return None if k not in lab else bool(lab[k])

        h, h2, hr = get("H"), get("H2"), get("HR")
        identity = None if h is None and h2 is None else bool(h or h2)
        labels = _none(**{"abuse.identity": identity, "abuse.threat": True if h2 else None,
                          "abuse.toxic": hr})
        if all(v is None for v in labels.values()):
            continue
        out.append(_row("openai_moderation", it["id"], it["text"], labels,
                        kind="+".join(k for k, v in sorted(lab.items()) if v) or "none"))
    return out


def suite(path: Path = SUITE, split: str = "train") -> list[dict[str, Any]]:
    """Kindred's suite; only ``split`` (the test split is never trained on)."""
    out = []
    for it in _read(path):
        if it["split"] != split:
            continue
        labels = {k: (k in it["categories"]) for k in LABELS}
        r = _row("kindred_suite", it["id"], it["text"], labels, group=it["id"], kind=it["kind"])
        r["split"] = "train" if split == "train" else "test"
        out.append(r)
    return out


_NOT_ABUSE = {k: False for k in LABELS}
# DiaSafety's other categories (offending users, biased opinions, agreeing
# with toxicity) hold abuse and are unlabelled for it here.
_DIASAFETY_BENIGN = ("Risk Ignorance", "Unauthorized Expertise")


def diasafety(data: Path) -> list[dict[str, Any]]:
    return [_row("diasafety", it["id"], it["text"], _NOT_ABUSE, kind=it["category"])
            for it in _read(data / BENIGN["diasafety"]["file"]) if it["category"] in _DIASAFETY_BENIGN]


def xstest(data: Path) -> list[dict[str, Any]]:
    """The safe prompts only: the unsafe contrasts ask for harm rather
    than abuse anyone, so they say nothing about these outputs."""
    return [_row("xstest", it["id"], it["text"], _NOT_ABUSE, kind=it["type"])
            for it in _read(data / BENIGN["xstest"]["file"]) if it["label"] == "safe"]


def rallypoint(data: Path) -> list[dict[str, Any]]:
    return [_row("rallypoint", it["id"], it["text"], _NOT_ABUSE, kind=f"label{it['label']}")
            for it in _read(data / BENIGN["rallypoint"]["file"])]


def distress(data: Path) -> list[dict[str, Any]]:
    """Evaluation only (no licence stated): posts about the writer's own
    distress, none of them abuse; every item is held out."""
    out = []
    for it in _read(data / EVAL_ONLY["crisis_dev"]["file"]):
        r = _row("crisis_dev", it["id"], it["text"], _NOT_ABUSE, kind=f"{it['source']}:{it['label']}")
        r["split"] = "heldout"
        out.append(r)
    for it in _read(data / EVAL_ONLY["irf"]["file"]):
        r = _row("irf", it["id"], it["text"], _NOT_ABUSE, kind=f"irf:{it.get('split', '')}")
        r["split"] = "heldout"
        out.append(r)
    return out


def counter_hate(data: Path) -> list[dict[str, Any]]:
    """Evaluation only (no licence stated). Label 2 is counter-hate, 0 hate
    (inferred), 1 neutral; the judged comment is ``target``."""
    out = []
    for it in _read(data / EVAL_ONLY["counter_hate"]["file"]):
        kind = {"0": "hate", "1": "neutral", "2": "counter"}.get(str(it["label"]), "other")
        r = _row("counter_hate", it["id"], it["target"], {}, kind=kind)
        r["split"] = "heldout"
        out.append(r)
    return out


LOADERS = {"davidson2017": davidson, "implicit_hate": implicit_hate, "stormfront": stormfront,
           "openai_moderation": openai_moderation, "diasafety": diasafety, "xstest": xstest,
           "rallypoint": rallypoint}

# At most this many items of one (source, kind) are used, so that no
# source's majority swamps the rest and an embedding pass stays affordable.
CAPS = {("davidson2017", "offensive_language"): 1200, ("davidson2017", "neither"): 1500,
        ("implicit_hate", "not_hate"): 2500, ("implicit_hate", "implicit_hate"): 2500,
        ("stormfront", "noHate"): 1800}


def load(data: Path = DEFAULT_DATA, seed: int = 18) -> list[dict[str, Any]]:
    """Every licensed source plus the suite's train split, each item tagged
    with its split; capped per (source, kind) as CAPS says."""
    rows: list[dict[str, Any]] = []
    for name, loader in LOADERS.items():
        got = loader(data)
        rng = random.Random(f"{seed}:{name}")
        rng.shuffle(got)
        seen: dict[str, int] = {}
        for r in got:
            cap = CAPS.get((name, r["kind"]))
            n = seen.get(r["kind"], 0)
            if cap is not None and n >= cap:
                continue
            seen[r["kind"]] = n + 1
            rows.append(r)
    rows.extend(suite())
    return rows
