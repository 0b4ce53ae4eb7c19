"""What both rating samples share: reading a set, drawing from it, and
writing the batches raters read (texts stay outside the repository)."""
import json
import random
from pathlib import Path


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path)]


def pick(rng: random.Random, rows: list[dict], n: int, prefix: str) -> list[dict]:
    rows = rng.sample(rows, min(n, len(rows)))
    return [{"id": f"{prefix}:{r['id']}", "text": r["text"]} for r in rows]


def write_batches(rng: random.Random, items: list[dict], out: Path, batches: int = 4) -> None:
    # Long posts are cut at 600 words so one batch stays readable; the cut is marked.
    for it in items:
        words = it["text"].split()
        if len(words) > 600:
            it["text"] = " ".join(words[:600]) + " [...]"
    rng.shuffle(items)
    ids = [i["id"] for i in items]
    assert len(set(ids)) == len(ids), "duplicate ids"
    out.mkdir(parents=True, exist_ok=True)
    for b in range(batches):
        with open(out / f"batch{b + 1}.jsonl", "w") as f:
            for it in items[b::batches]:
                f.write(json.dumps(it, ensure_ascii=False) + "\n")
