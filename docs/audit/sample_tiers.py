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

from sampling import load, pick as _pick, write_batches

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tier-audit")
D = Path(__file__).resolve().parents[3] / "shared" / "data"
rng = random.Random(20261206)
audited = {json.loads(l)["id"] for l in open(Path(__file__).with_name("twitter-2026-11-25.jsonl"))}
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
def pick(rows, n, pre): return _pick(rng, rows, n, pre)
items = (pick(tw, 300, "crisis-dev") + pick(sd, 250, "crisis-dev") + pick(irf, 250, "irf") + pick(ri, 250, "diasafety")
         + pick(other, 150, "diasafety") + pick(rp, 200, "rallypoint") + pick(xs, 100, "xstest")
         + pick(oa_sh, 40, "openai") + pick(oa_rest, 60, "openai"))
write_batches(rng, items, OUT)
print(len(items))
