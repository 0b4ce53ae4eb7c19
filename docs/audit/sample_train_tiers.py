"""Draw the items of the two-rater *training* labels (tiers-train-2026-12-07.jsonl).

Disjoint from the audited dev set (tiers-2026-12-06.jsonl) and from the
2026-11-25 twitter audit, so the dev figures stay measured on items the judge
never learned from. Enriched towards the sources where risk is written without
keywords (IRF, DiaSafety "Risk Ignorance", r/SuicideWatch), because a random
draw gives too few high and imminent items to learn from. Writes four batches
of texts outside the repository (first argument); only ids and verdicts are kept.
"""
import json
import random
import sys
from pathlib import Path

from sampling import load, pick as _pick, write_batches

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tier-train")
HERE = Path(__file__).resolve().parent
D = HERE.parents[2] / "shared" / "data"
rng = random.Random(20261207)
used = {json.loads(l)["id"] for l in open(HERE / "tiers-2026-12-06.jsonl")}
used |= {"crisis-dev:" + json.loads(l)["id"] for l in open(HERE / "twitter-2026-11-25.jsonl")}
def fresh(rows, pre): return [r for r in rows if f"{pre}:{r['id']}" not in used]
dev = fresh(load(D/"crisis/crisis-dev.jsonl"), "crisis-dev")
tw_c = [r for r in dev if r["source"].startswith("twitter") and r["label"] == "crisis"]
tw_o = [r for r in dev if r["source"].startswith("twitter") and r["label"] != "crisis"]
sd_c = [r for r in dev if r["source"] == "sdcnl" and r["label"] == "crisis"]
sd_o = [r for r in dev if r["source"] == "sdcnl" and r["label"] != "crisis"]
irf = fresh(load(D/"crisis/extra/irf-interpersonal-risk.jsonl"), "irf")
irf = [r for r in irf if r.get("split") != "test"]
dia = fresh(load(D/"crisis/extra/diasafety-user-turns.jsonl"), "diasafety")
ri = [r for r in dia if r.get("category") == "Risk Ignorance"]
other = [r for r in dia if r.get("category") != "Risk Ignorance"]
rp = fresh(load(D/"crisis/extra/rallypoint-reddit-mental-health.jsonl"), "rallypoint")
xs = fresh(load(D/"crisis/extra/xstest-prompts.jsonl"), "xstest")
oa = fresh(load(D/"moderation-openai/openai-moderation-1680.jsonl"), "openai")
oa_sh = [r for r in oa if r.get("labels", {}).get("SH") == 1]
oa_rest = [r for r in oa if r.get("labels", {}).get("SH") != 1]
def pick(rows, n, pre): return _pick(rng, rows, n, pre)
items = (pick(tw_c, 120, "crisis-dev") + pick(tw_o, 100, "crisis-dev") + pick(sd_c, 150, "crisis-dev")
         + pick(sd_o, 60, "crisis-dev") + pick(irf, 220, "irf") + pick(ri, 250, "diasafety")
         + pick(other, 80, "diasafety") + pick(rp, 100, "rallypoint") + pick(xs, 40, "xstest")
         + pick(oa_sh, 40, "openai") + pick(oa_rest, 40, "openai"))
assert not {i["id"] for i in items} & used, "overlaps the dev audit"
write_batches(rng, items, OUT)
print(len(items))
