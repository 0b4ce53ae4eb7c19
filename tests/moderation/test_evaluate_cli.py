"""The evaluate and bench command lines, and the weights fetcher, on small
fixtures written for these tests (the shared datasets are used only by
running the commands, never copied into the repository)."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from moderation import detoxify_weights
from moderation.tools import evaluate

from .conftest import FakeFinding


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def scripted_crisis(crisis_stub):
    def decide(text: str) -> FakeFinding:
        if "want to die" in text:
            return FakeFinding(risk="high", categories=frozenset({"crisis.ideation"}), audience="self")
        if "tired" in text:
            return FakeFinding(risk="concern", categories=frozenset({"crisis.distress"}), audience="self")
        return FakeFinding()

    return crisis_stub(decide)


CRISIS_ROWS = [
    {"id": "a1", "text": "I want to die tonight", "label": "crisis", "source": "alpha"},
    {"id": "a2", "text": "everything is fine really", "label": "crisis", "source": "alpha"},
    {"id": "a3", "text": "this hot sauce is deadly", "label": "none", "source": "alpha"},
    {"id": "a4", "text": "so tired of it all", "label": "none", "source": "alpha"},
    {"id": "b1", "text": "I want to die", "label": "crisis", "source": "beta"},
    {"id": "b2", "text": "I was tired back then", "label": "ambiguous", "source": "beta"},
]


def test_crisis_report(tmp_path, scripted_crisis, capsys) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", CRISIS_ROWS)
    assert evaluate.main(["--task", "crisis", str(path), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["recall"] == pytest.approx(2 / 3, abs=1e-4) and r["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert r["flag_rate_on_none"] == 0.5
    assert r["by_source"]["alpha"]["crisis"] == {"n": 2, "flagged": 1, "rate": 0.5}
    assert r["by_source"]["beta"]["ambiguous"] == {"n": 1, "flagged": 1, "rate": 1.0}
    assert r["confusion"]["crisis"] == {"high": 2, "none": 1}
    assert [m["id"] for m in r["worst_misses"]] == ["a2"]
    assert [m["id"] for m in r["worst_false_alarms"]] == ["a4"]
    assert evaluate.main(["--task", "crisis", str(path)]) == 0
    text = capsys.readouterr().out
    assert "alpha: crisis recall 0.500 (1/2); none flagged 0.500 (1/2)" in text
    assert "Worst misses" in text and "everything is fine really" in text


def test_crisis_audit_reports_the_ceiling_the_rules_imply(tmp_path, scripted_crisis, capsys) -> None:
    # Raters read a2 (labelled crisis) as something the rules never flag, and
    # a4 (labelled none) as a disclosure; b1 they split on.
    audit = write_jsonl(tmp_path / "audit.jsonl", [
        {"id": "a1", "verdicts": {"a": "flag", "b": "flag"}},
        {"id": "a2", "verdicts": {"a": "no", "b": "no"}},
        {"id": "a3", "verdicts": {"a": "no", "b": "no"}},
        {"id": "a4", "verdicts": {"a": "flag", "b": "flag"}},
        {"id": "b1", "verdicts": {"a": "flag", "b": "unsure"}},
        {"id": "b2", "verdicts": {"a": "either", "b": "either"}},  # ambiguous: left out
        {"id": "zz", "verdicts": {"a": "no", "b": "no"}},  # not in the data: left out
    ])
    path = write_jsonl(tmp_path / "c.jsonl", CRISIS_ROWS)
    assert evaluate.main(["--task", "crisis", str(path), "--audit", str(audit), "--json"]) == 0
    a = json.loads(capsys.readouterr().out)["audit"]
    assert a["matched"] == 5 and a["raters"] == ["a", "b"]
    assert a["crisis"] == {"n": 3, "must_flag": 1, "open": 1, "must_not": 1}
    assert a["none"] == {"n": 2, "must_flag": 1, "open": 0, "must_not": 1}
    assert a["recall_ceiling"]["estimate"] == pytest.approx(2 / 3, abs=1e-4)
    lo, hi = a["recall_ceiling"]["ci95"]
    assert lo < 2 / 3 < hi <= 1
    assert a["none_flag_floor"]["estimate"] == 0.5
    # The detector flagged a1 and a4 (must flag), neither a2 nor a3 (must not), b1 (open).
    assert a["detector"] == {"must_flag": {"n": 2, "flagged": 2}, "open": {"n": 1, "flagged": 1},
                             "must_not": {"n": 2, "flagged": 0}}
    assert -1 <= a["kappa"] <= 1
    assert evaluate.main(["--task", "crisis", str(path), "--audit", str(audit)]) == 0
    text = capsys.readouterr().out
    assert "recall ceiling for a detector that follows the rules: 0.667" in text


def test_wilson_interval_and_kappa() -> None:
    assert evaluate.wilson(0, 0) == (0.0, 1.0)
    lo, hi = evaluate.wilson(33, 200)
    assert (lo, hi) == pytest.approx((0.120, 0.223), abs=1e-3)
    assert evaluate.cohen_kappa(["flag", "no", "no"], ["flag", "no", "no"]) == 1.0
    assert evaluate.cohen_kappa(["flag", "no"], ["no", "flag"]) < 0


def test_a_malformed_audit_file_gets_a_clear_error(tmp_path, capsys) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", CRISIS_ROWS)
    audit = write_jsonl(tmp_path / "audit.jsonl", [{"id": "a1", "verdicts": {"a": "maybe"}}])
    assert evaluate.main(["--task", "crisis", str(path), "--audit", str(audit)]) == 2
    assert "audit line 1: expected" in capsys.readouterr().err
    good = write_jsonl(tmp_path / "good.jsonl", [{"id": "a1", "verdicts": {"a": "flag"}}])
    assert evaluate.main(["--task", "toxicity", str(path), "--audit", str(good)]) == 2
    assert "--audit applies to --task crisis only" in capsys.readouterr().err
    assert evaluate.main(["--task", "crisis", str(path), "--audit", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_toxicity_report(tmp_path, scripted_crisis, capsys) -> None:
    rows = [
        {"id": "t1", "text": "you're a pathetic loser", "toxic": True, "source": "s", "source_label": "insult"},
        {"id": "t2", "text": "I fucking hate myself", "toxic": False, "source": "s", "source_label": "self"},
        {"id": "t3", "text": "what a lovely day", "toxic": False, "source": "s", "source_label": "neither"},
        {"id": "t4", "text": "the weather is grim", "toxic": True, "source": "s", "source_label": "insult"},
    ]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    assert evaluate.main(["--task", "toxicity", str(path), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["confusion"] == {"tp": 1, "fp": 0, "fn": 1, "tn": 2}
    assert (r["precision"], r["recall"]) == (1.0, 0.5)
    assert r["by_label"]["s:insult"] == {"n": 2, "flagged": 1, "rate": 0.5}


def test_sanitize_report(tmp_path, scripted_crisis, capsys) -> None:
    rows = [{"id": "x1", "input": "<img src=x onerror=alert(1)>"}, {"id": "x2", "input": "[a](javascript:alert(1))"}]
    path = write_jsonl(tmp_path / "s.jsonl", rows)
    assert evaluate.main(["--task", "sanitize", str(path)]) == 0
    assert "2/2 inputs harmless" in capsys.readouterr().out


def test_bad_input_files_get_clear_errors(tmp_path, capsys) -> None:
    assert evaluate.main(["--task", "crisis", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
    path = write_jsonl(tmp_path / "wrong.jsonl", [{"input": "x"}])
    assert evaluate.main(["--task", "crisis", str(path)]) == 2
    assert "is this a crisis file?" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="not valid JSON"):
        evaluate.main(["--task", "crisis", str(bad)])


def test_bench_runs_and_reports_targets(scripted_crisis, monkeypatch) -> None:
    from moderation.tools import bench

    monkeypatch.setattr(bench, "_pin_one_core", lambda: "not pinned (test)")
    # Tiny inputs: this checks the bench's code; `make bench` measures.
    r = bench.run(iterations=3, slow_iterations=3, warm=0, adversarial_chars=200, collect=False)
    long_post = r["stages"]["300-word post"]
    assert {"clean", "rules", "render+sanitise", "toxicity (fast)", bench.FAST_PATH, bench.FAST_PATH_SCREEN,
            "end to end: screen()"} <= set(long_post)
    # The non-ASCII variant times the fast stages only.
    curly = r["stages"]["300-word post, curly apostrophes"]
    assert bench.FAST_PATH in curly and "end to end: screen()" not in curly
    # Comparisons are ratios of figures from this same run.
    assert "300-word post: screen() / (fast path + fast toxicity)" in r["ratios"]
    assert "32 chat messages: screen_many / screen() one by one" in r["ratios"]
    assert all(v > 0 for v in r["ratios"].values())
    assert all(m["p50"] >= 0 for m in long_post.values())
    assert r["screen_many_32_chat"]["per_message_ms"] > 0
    assert len(r["targets"]) == 4
    # The 1 ms target is the fast path, without toxicity.
    assert r["targets"][0]["measured"] == long_post[bench.FAST_PATH]["p50"]
    assert "rules, crisis rules" in r["targets"][0]["target"]
    assert r["environment"]["words_in_long_post"] >= 290


def test_fetch_downloads_verifies_localises_and_loads(tmp_path, tiny_detoxify, capsys) -> None:
    checkpoint, config_dir = tiny_detoxify
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    release = tmp_path / "release"
    release.mkdir()
    published = release / f"tiny-{digest[:8]}.ckpt"
    shutil.copy(checkpoint, published)
    dest = tmp_path / "models"
    settings = detoxify_weights.fetch("tiny", dest, url=published.as_uri(), config_source=str(config_dir), progress=False)
    local = Path(settings["KINDRED_DETOXIFY_CHECKPOINT"])
    cfg = Path(settings["KINDRED_DETOXIFY_CONFIG_DIR"])
    assert local.exists() and (cfg / "config.json").exists() and (cfg / "tokenizer_config.json").exists()
    manifest = json.loads((dest / "tiny-manifest.json").read_text())
    assert manifest["downloaded_sha256"] == digest
    out = capsys.readouterr().out
    assert f"Verified SHA-256 prefix {digest[:8]}" in out and "Loaded and ran the model" in out
    import torch

    loaded = torch.load(local, weights_only=False)
    assert loaded["config"]["arch"]["args"]["model_type"] == str(cfg.resolve())


def test_fetch_refuses_a_file_that_does_not_match_its_hash(tmp_path, tiny_detoxify, capsys) -> None:
    checkpoint, config_dir = tiny_detoxify
    wrong = tmp_path / "tiny-deadbeef.ckpt"
    shutil.copy(checkpoint, wrong)
    code = detoxify_weights.main(["fetch", "--model", "tiny", "--dest", str(tmp_path / "m"), "--url", wrong.as_uri(),
                        "--config-source", str(config_dir), "--no-progress"])
    assert code == 1
    assert "verification" in capsys.readouterr().err
    assert not (tmp_path / "m" / "tiny-deadbeef.ckpt").exists()


def test_models_status(model_settings, capsys) -> None:
    model_settings(detoxify={"checkpoint": None, "model_type": "kindred-test-no-such-model"})
    assert detoxify_weights.main(["status"]) == 0
    assert "offline fallback" in capsys.readouterr().out


def test_language_report(tmp_path, capsys) -> None:
    rows = [{"id": "e1", "text": "feelin proper rubbish today tbh"},
            {"id": "e2", "text": "Ich fühle mich seit Wochen leer und weiß nicht mehr weiter."},
            {"id": "e3", "text": "lol"}]
    path = write_jsonl(tmp_path / "l.jsonl", rows)
    assert evaluate.main(["--task", "language", str(path), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["n"], r["unsupported"]) == (3, 1)
    assert [(t["id"], t["language"]) for t in r["texts"]] == [("e2", "de")]
