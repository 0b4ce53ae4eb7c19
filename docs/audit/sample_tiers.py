"""Draw the items of the two-rater tier audit (tiers-2026-12-06.jsonl).

Writes four batches of texts to a folder outside the repository (the first
argument; the texts are the publishers' and stay out of the repo). Raters read
tier-definitions.md and nothing else; the ids and their verdicts are what the
repository keeps.
"""
import json
import random
import sys
from pathlib import Path

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tier-audit")
OUT.mkdir(parents=True, exist_ok=True)
D = Path(__file__).resolve().parents[3] / "shared" / "data"
rng = random.Random(20261206)
audited = {json.loads(l)["id"] for l in open(Path(__file__).with_name("twitter-2026-11-25.jsonl"))}
def load(p): return [json.loads(l) for l in open(p)]
dev = load(D/"crisis/crisis-dev.jsonl")
tw = [r for r in dev if r["source"].startswith("twitter") and r["id"] not in audited]
sd = [r for r in dev if r["source"] == "sdcnl"]
irf = load(D/"crisis/extra/irf-interpersonal-risk.jsonl")
dia = load(D/"crisis/extra/diasafety-user-turns.jsonl")
ri = [r for r in dia if r.get("category") == "Risk Ignorance"]
other = [r for r in dia if r.get("category") != "Risk Ignorance"]
rp = load(D/"crisis/extra/rallypoint-reddit-mental-health.jsonl")
xs = load(D/"crisis/extra/xstest-prompts.jsonl")
oa = load(D/"moderation-openai/openai-moderation-1680.jsonl")
oa_sh = [r for r in oa if r.get("labels", {}).get("SH") == 1]
oa_rest = [r for r in oa if r.get("labels", {}).get("SH") != 1]
def pick(rows, n, pre):
    rows = rng.sample(rows, min(n, len(rows)))
    return [{"id": f"{pre}:{r['id']}", "text": r["text"]} for r in rows]
items = (pick(tw, 300, "crisis-dev") + pick(sd, 250, "crisis-dev") + pick(irf, 250, "irf") + pick(ri, 250, "diasafety")
         + pick(other, 150, "diasafety") + pick(rp, 200, "rallypoint") + pick(xs, 100, "xstest")
         + pick(oa_sh, 40, "openai") + pick(oa_rest, 60, "openai"))
# long posts cut at 600 words so one batch stays readable; the cut is recorded
for it in items:
    w = it["text"].split()
    if len(w) > 600:
        it["text"] = " ".join(w[:600]) + " [...]"
rng.shuffle(items)
ids = [i["id"] for i in items]; assert len(set(ids)) == len(ids), "dup ids"
for b in range(4):
    with open(OUT / f"batch{b+1}.jsonl", "w") as f:
        for it in items[b::4]:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
print(len(items))
