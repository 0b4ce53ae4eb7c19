"""Fixtures for the moderation engine's tests.

``crisis_stub`` replaces the crisis stage with a scripted one, so the wiring
(policy, signposting, escalation priority) is tested independently of the
crisis engine's own judgement, which has its own tests. ``tiny_detoxify``
builds a real, tiny Detoxify-format checkpoint at test time.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from moderation import settings, toxicity
from moderation.verdict import Reason


# The learned crisis judge ships off (docs/crisis.md says why). The rules' and
# the older layers' table tests pin what those layers read, so they run with it
# off; the judge's own tests and the evaluation gate, which hold its figures,
# run with it on.
_JUDGE_ON = ("test_crisis_judge", "test_evaluation_gate", "test_evaluate_cli")


@pytest.fixture(autouse=True)
def _crisis_judge_for_the_module(request: pytest.FixtureRequest):
    on = request.module.__name__.rsplit(".", 1)[-1].startswith(_JUDGE_ON)
    with settings.using(crisis_judge=on):
        yield


@dataclass(frozen=True)
class FakeFinding:
    risk: str = "none"
    categories: frozenset[str] = frozenset()
    reasons: tuple[Reason, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    audience: str = "none"


@pytest.fixture
def crisis_stub(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[str], FakeFinding]], types.ModuleType]:
    """Install a scripted crisis module: ``crisis_stub(lambda text: FakeFinding(...))``."""

    def install(decide: Callable[[str], FakeFinding]) -> types.ModuleType:
        mod = types.ModuleType("moderation.crisis")
        mod.analyse = decide  # type: ignore[attr-defined]
        mod.analyse_many = lambda texts: [decide(t) for t in texts]  # type: ignore[attr-defined]
        mod.warm_up = lambda: None  # type: ignore[attr-defined]
        mod.engine_info = lambda: {"crisis_rules": "stub"}  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "moderation.crisis", mod)
        import moderation

        monkeypatch.setattr(moderation, "crisis", mod, raising=False)
        return mod

    return install


@pytest.fixture
def quiet_crisis(crisis_stub):
    """A crisis stage that finds nothing (for tests of the other stages)."""
    return crisis_stub(lambda text: FakeFinding())


CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "you", "are", "an", "kind", "thank", "idiot", "i",
         "feel", "sad", "today", "myself", "hate", "##s", ".", ","]


def build_tiny_detoxify(root: Path, *, bias: float | None = None, seed: int = 0) -> tuple[Path, Path]:
    """A Detoxify checkpoint: 2-layer BERT, hidden size 64, local WordPiece
    vocabulary, random weights. ``bias`` pins every class's logit so tests
    can make it confidently toxic (or not)."""
    import torch
    import transformers

    config_dir = root / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    cfg = transformers.BertConfig(vocab_size=len(VOCAB), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=128, max_position_embeddings=64, num_labels=len(CLASSES))
    cfg.save_pretrained(config_dir)
    transformers.BertTokenizer(str(config_dir / "vocab.txt")).save_pretrained(config_dir)
    torch.manual_seed(seed)
    model = transformers.BertForSequenceClassification(cfg)
    if bias is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.fill_(bias)
    checkpoint = {
        "config": {
            # Detoxify calls from_pretrained(model_type): it must be a local directory.
            "arch": {"args": {"model_type": str(config_dir), "model_name": "BertForSequenceClassification",
                              "tokenizer_name": "BertTokenizer", "num_classes": len(CLASSES)}},
            "dataset": {"args": {"classes": CLASSES}},
        },
        "state_dict": model.state_dict(),
    }
    path = root / "tiny-detoxify.ckpt"
    torch.save(checkpoint, path)
    return path, config_dir


@pytest.fixture(scope="session")
def tiny_detoxify(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_tiny_detoxify(tmp_path_factory.mktemp("tiny-detoxify"))


@pytest.fixture(scope="session")
def toxic_detoxify(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny model that scores everything as very toxic (logit +8)."""
    return build_tiny_detoxify(tmp_path_factory.mktemp("toxic-detoxify"), bias=8.0)


@pytest.fixture
def model_settings(monkeypatch: pytest.MonkeyPatch):
    """Change moderation's model settings for one test, as an environment
    variable read by config.py does for the forum; ``detoxify`` takes a dict
    of DetoxifySettings fields."""

    def change(**changes: Any) -> None:
        current = settings.current()
        if "detoxify" in changes:
            changes["detoxify"] = dataclasses.replace(current.detoxify, **changes["detoxify"])
        monkeypatch.setattr(settings, "_current", dataclasses.replace(current, **changes))

    return change


@pytest.fixture
def detoxify_env(model_settings):
    """Point the engine at a checkpoint; forget loaded scorers before and after."""

    def use(checkpoint: Path, config_dir: Path) -> None:
        model_settings(torch_threads=1, detoxify={"checkpoint": str(checkpoint), "config_dir": str(config_dir)})
        toxicity.reset()

    yield use
    toxicity.reset()


@pytest.fixture
def crisis_training_file(tmp_path: Path) -> Callable[[int], Path]:
    """A small crisis JSONL for the training commands, ``copies`` of each line
    (written here: the development data never enter the repo)."""

    def write(copies: int) -> Path:
        crisis_lines = ["I feel suicidal again tonight and nobody notices.", "suicidal and exhausted, I can't do this",
                        "honestly so suicidal lately, everything hurts", "I keep having suicidal thoughts every day"]
        none_lines = ["The report says suicidal thoughts rise in winter.", "That tackle was suicidal, what a game.",
                      "Talk to someone if a friend seems suicidal.", "Suicidal hot sauce is my favourite wing flavour."]
        items = [{"id": f"{label[0]}{i}-{k}", "text": t, "label": label, "source": "fixture"}
                 for label, lines in (("crisis", crisis_lines), ("none", none_lines))
                 for k in range(copies) for i, t in enumerate(lines)]
        path = tmp_path / "fixture.jsonl"
        path.write_text("".join(json.dumps(it) + "\n" for it in items))
        return path

    return write
