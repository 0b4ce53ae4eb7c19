"""Measure the engine on labelled data.

    python -m moderation.evaluate --task crisis|toxicity|sanitize|language FILE.jsonl [--json] [--limit N]
                                  [--audit AUDIT.jsonl]

Formats are those of ``../shared/data/README.md``. Everything goes through
the public ``screen_many`` (batched), so what is measured is what the forum
gets. The data is read at run time only; none of it is copied into Kindred.

* crisis:   an item is *flagged* when its risk is ``concern`` or higher.
            Reports recall on ``crisis`` items and the flag rate on ``none``
            items per source; ``ambiguous`` items are reported separately
            (neither hit nor miss); precision/recall/F1; a confusion table of
            label x risk; the worst misses and false alarms. With
            ``--audit``, what raters read in a sample against the issue's
            rules, and the recall ceiling that implies (see docs/crisis.md).
* toxicity: an item is flagged when the verdict has any ``abuse.*``
            category. Precision/recall/F1 overall, by source and by original
            label; misses and false alarms.
* sanitize: every input must come out harmless both as a Markdown post body
            (through ``screen``) and as raw HTML (through
            ``render.sanitise_html``): no executable tag, no ``on*`` or
            ``style`` attribute, no javascript:/data:/vbscript: URL.
* language: on English data, how many texts the language stage would name
            ``language.unsupported`` (each one a false alarm for a moderator
            unless the text really is in another language), with the texts.
            Runs ``language.assess`` alone: the other stages don't change it.
"""
from __future__ import annotations

import argparse
import html as _html
import json
import re
import sys
import time
from collections import Counter, defaultdict
from html.parser import HTMLParser
from typing import Any, Iterable, Iterator, Sequence

from moderation.verdict import RISK_RANK, RISKS

BATCH = 64
EXECUTABLE_TAGS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "form",
    "input", "button", "textarea", "select", "link", "meta", "base", "template", "noscript", "img", "video",
    "audio", "source", "portal", "xml", "xss", "image",
})
URL_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster",
                       "srcset", "codebase", "cite", "longdesc", "dynsrc", "lowsrc", "ping", "manifest"})
_BAD_SCHEME = re.compile(r"^(?:javascript|data|vbscript|livescript|mocha):", re.IGNORECASE)
_URL_JUNK = re.compile(r"[\x00-\x20\x7f-\x9f]+")


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in EXECUTABLE_TAGS:
            self.problems.append(f"<{tag}> tag")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name} attribute on <{tag}>")
            elif name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            elif name in URL_ATTRS and value is not None:
                url = _URL_JUNK.sub("", _html.unescape(value))
                if _BAD_SCHEME.match(url):
                    self.problems.append(f"{name}={value[:40]!r} on <{tag}>")

    handle_startendtag = handle_starttag


def html_problems(html: str) -> list[str]:
    """Why an HTML fragment is not harmless (empty list: harmless)."""
    p = _Inspector()
    p.feed(html)
    p.close()
    return p.problems


def read_jsonl(path: str, limit: int | None = None) -> list[dict[str, Any]]:
    items = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{n}: not valid JSON ({exc})") from exc
            if limit and len(items) >= limit:
                break
    return items


def _batches(seq: Sequence[Any], n: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _screen_all(texts: Sequence[str], *, kind: str = "post") -> list[Any]:
    from moderation import screen_many

    out: list[Any] = []
    for chunk in _batches(texts, BATCH):
        out.extend(screen_many(list(chunk), kind=kind))
    return out


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def _examples(missed: list[tuple[dict[str, Any], Any]], alarms: list[tuple[dict[str, Any], Any]],
              n: int) -> dict[str, list[dict[str, Any]]]:
    def row(it: dict[str, Any], v: Any) -> dict[str, Any]:
        return {"id": it.get("id"), "source": it.get("source"), "risk": v.risk,
                "categories": sorted(v.categories), "text": _short(it["text"])}

    return {"worst_misses": [row(it, v) for it, v in missed[:n]],
            "worst_false_alarms": [row(it, v) for it, v in alarms[:n]]}


def _short(text: str, n: int = 140) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "…"


# -- crisis ------------------------------------------------------------------------

def evaluate_crisis(items: list[dict[str, Any]], *, misses: int = 8,
                    audit: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    # The long Reddit posts are screened as posts; limits would block the few
    # very long ones, which would then count as unflagged, so they are kept.
    verdicts = _screen_all([it["text"] for it in items])
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    tp = fp = fn = tn = 0
    missed: list[tuple[dict[str, Any], Any]] = []
    alarms: list[tuple[dict[str, Any], Any]] = []
    for it, v in zip(items, verdicts):
        label, src = it["label"], it.get("source", "unknown")
        flagged = RISK_RANK.get(v.risk, 0) >= RISK_RANK["concern"]
        confusion[label][v.risk] += 1
        c = by_source[src]
        c[f"{label}_n"] += 1
        c[f"{label}_flagged"] += int(flagged)
        if label == "crisis":
            tp += flagged
            fn += not flagged
            if not flagged:
                missed.append((it, v))
        elif label == "none":
            fp += flagged
            tn += not flagged
            if flagged:
                alarms.append((it, v))
    sources = {}
    for src, c in sorted(by_source.items()):
        row: dict[str, Any] = {}
        for label in ("crisis", "none", "ambiguous"):
            n = c[f"{label}_n"]
            if n:
                row[label] = {"n": n, "flagged": c[f"{label}_flagged"], "rate": round(c[f"{label}_flagged"] / n, 4)}
        sources[src] = row
    alarms.sort(key=lambda iv: -RISK_RANK.get(iv[1].risk, 0))
    return {
        "task": "crisis", "n": len(items), **_prf(tp, fp, fn),
        "flag_rate_on_none": round(fp / (fp + tn), 4) if fp + tn else 0.0,
        "by_source": sources,
        "confusion": {label: dict(confusion[label]) for label in ("crisis", "ambiguous", "none") if label in confusion},
        **_examples(missed, alarms, misses),
        **({"audit": audit_crisis(items, verdicts, audit)} if audit is not None else {}),
    }


# -- the audit: do the labels agree with the issue's rules? ---------------------------
#
# An audit file holds, per item id, what independent raters read in the text
# against the issue's own rules (never the dataset's label, never the
# detector's output): "flag" (it discloses the writer's own distress, death
# wish, suicidal feelings or self-harm now), "no" (negated, someone else's,
# a question, a quote, news, lyrics, fiction or hyperbole), "either" (past
# events: no more than concern, so flagging is optional) or "unsure". Where
# every rater says "no", a detector that follows the rules must not flag the
# item, whatever its label; so the share of such items among a label's
# "crisis" items bounds the recall any rule-following detector can reach.
VERDICTS = ("flag", "either", "unsure", "no")


def read_audit(path: str) -> list[dict[str, Any]]:
    rows = read_jsonl(path)
    for n, row in enumerate(rows, 1):
        raters = row.get("verdicts")
        if "id" not in row or not isinstance(raters, dict) or not raters \
                or any(v not in VERDICTS for v in raters.values()):
            raise ValueError(f"audit line {n}: expected {{\"id\": ..., \"verdicts\": {{rater: one of "
                             f"{', '.join(VERDICTS)}}}}}")
    return rows


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion k/n (95 % by default):
    sound at the small counts an audit sample gives."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / d
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / d
    return (round(max(0.0, mid - half), 4), round(min(1.0, mid + half), 4))


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    n = len(a)
    if n == 0:
        return 0.0
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[v] * cb[v] for v in set(ca) | set(cb)) / (n * n)
    return round((observed - expected) / (1 - expected), 4) if expected < 1 else 1.0


def audit_crisis(items: list[dict[str, Any]], verdicts: Sequence[Any], audit: list[dict[str, Any]]) -> dict[str, Any]:
    by_id = {row["id"]: row["verdicts"] for row in audit}
    raters = sorted({r for row in audit for r in row["verdicts"]})
    per_label: dict[str, Counter[str]] = defaultdict(Counter)
    detector: Counter[str] = Counter()
    pairs: list[tuple[str, str]] = []
    for it, v in zip(items, verdicts):
        said = by_id.get(it.get("id"))
        if said is None or it["label"] not in ("crisis", "none"):
            continue
        votes = set(said.values())
        reading = "must_flag" if votes == {"flag"} else "must_not" if votes == {"no"} else "open"
        per_label[it["label"]][reading] += 1
        flagged = RISK_RANK.get(v.risk, 0) >= RISK_RANK["concern"]
        detector[f"{reading}_n"] += 1
        detector[f"{reading}_flagged"] += int(flagged)
        if len(raters) >= 2 and raters[0] in said and raters[1] in said:
            pairs.append((said[raters[0]], said[raters[1]]))
    out: dict[str, Any] = {"raters": raters, "matched": sum(sum(c.values()) for c in per_label.values())}
    for label, c in sorted(per_label.items()):
        n = sum(c.values())
        out[label] = {"n": n, **{k: c[k] for k in ("must_flag", "open", "must_not")}}
    crisis_n = out.get("crisis", {}).get("n", 0)
    if crisis_n:
        lo, hi = wilson(out["crisis"]["must_not"], crisis_n)
        # Recall is at most the share of crisis items the rules allow flagging.
        out["recall_ceiling"] = {"estimate": round(1 - out["crisis"]["must_not"] / crisis_n, 4),
                                 "ci95": [round(1 - hi, 4), round(1 - lo, 4)]}
    none_n = out.get("none", {}).get("n", 0)
    if none_n:
        lo, hi = wilson(out["none"]["must_flag"], none_n)
        out["none_flag_floor"] = {"estimate": round(out["none"]["must_flag"] / none_n, 4), "ci95": [lo, hi]}
    out["detector"] = {k: {"n": detector[f"{k}_n"], "flagged": detector[f"{k}_flagged"]}
                       for k in ("must_flag", "open", "must_not")}
    if pairs:
        out["kappa"] = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs])
    return out


def _print_audit(a: dict[str, Any]) -> None:
    print(f"\n  Audit against the issue's rules ({a['matched']} items; raters {', '.join(a['raters'])}"
          + (f"; Cohen's kappa {a['kappa']:.2f}" if "kappa" in a else "") + "):")
    for label in ("crisis", "none"):
        if label in a:
            c = a[label]
            print(f"    labelled {label}: {c['n']}; every rater: flag {c['must_flag']}, no {c['must_not']}; "
                  f"open {c['open']}")
    if "recall_ceiling" in a:
        r = a["recall_ceiling"]
        print(f"    recall ceiling for a detector that follows the rules: {r['estimate']:.3f} "
              f"(95 % CI {r['ci95'][0]:.3f}-{r['ci95'][1]:.3f})")
    if "none_flag_floor" in a:
        r = a["none_flag_floor"]
        print(f"    none items the rules require flagging: {r['estimate']:.3f} "
              f"(95 % CI {r['ci95'][0]:.3f}-{r['ci95'][1]:.3f})")
    d = a["detector"]
    for k, name in (("must_flag", "must flag"), ("must_not", "must not flag"), ("open", "open")):
        if d[k]["n"]:
            print(f"    detector on items the rules say {name}: flagged {d[k]['flagged']}/{d[k]['n']} "
                  f"({d[k]['flagged'] / d[k]['n']:.3f})")


def _print_crisis(r: dict[str, Any]) -> None:
    print(f"Crisis detection: {r['n']} items (flagged = risk >= concern)")
    print(f"  crisis vs none: precision {r['precision']:.3f}  recall {r['recall']:.3f}  F1 {r['f1']:.3f}  "
          f"flag rate on none {r['flag_rate_on_none']:.3f}")
    print("\n  By source:")
    for src, row in r["by_source"].items():
        parts = []
        if "crisis" in row:
            parts.append(f"crisis recall {row['crisis']['rate']:.3f} ({row['crisis']['flagged']}/{row['crisis']['n']})")
        if "none" in row:
            parts.append(f"none flagged {row['none']['rate']:.3f} ({row['none']['flagged']}/{row['none']['n']})")
        if "ambiguous" in row:
            parts.append(f"ambiguous flagged {row['ambiguous']['rate']:.3f} "
                         f"({row['ambiguous']['flagged']}/{row['ambiguous']['n']})")
        print(f"    {src}: " + "; ".join(parts))
    print("\n  Confusion (label x risk):")
    print("    " + f"{'':<10}" + "".join(f"{risk:>10}" for risk in RISKS))
    for label, row in r["confusion"].items():
        print("    " + f"{label:<10}" + "".join(f"{row.get(risk, 0):>10}" for risk in RISKS))
    if "audit" in r:
        _print_audit(r["audit"])
    _print_examples("Worst misses (crisis, not flagged)", r["worst_misses"])
    _print_examples("Worst false alarms (none, flagged)", r["worst_false_alarms"])


def _print_examples(title: str, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    if not rows:
        return
    print(f"\n  {title}:")
    for row in rows:
        cats = ", ".join(c for c in row.get("categories", ()) if not c.startswith("rule."))
        extra = f" [{row['risk']}{'; ' + cats if cats else ''}]"
        print(f"    - {row.get('id')} ({row.get('source')}){extra}: {row['text']}")


# -- toxicity ----------------------------------------------------------------------

def _abusive(v: Any) -> bool:
    return any(c.startswith("abuse.") for c in v.categories)


def evaluate_toxicity(items: list[dict[str, Any]], *, misses: int = 8) -> dict[str, Any]:
    verdicts = _screen_all([it["text"] for it in items])
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    by_label: dict[str, Counter[str]] = defaultdict(Counter)
    missed: list[tuple[dict[str, Any], Any]] = []
    alarms: list[tuple[dict[str, Any], Any]] = []
    for it, v in zip(items, verdicts):
        truth, pred = bool(it["toxic"]), _abusive(v)
        key = {(True, True): "tp", (False, True): "fp", (True, False): "fn", (False, False): "tn"}[(truth, pred)]
        for bucket in ("all", it.get("source", "unknown")):
            counts[bucket][key] += 1
        original = it.get("source_label") or ",".join(sorted(k for k, v in (it.get("labels") or {}).items() if v))
        label = f"{it.get('source', 'unknown')}:{original or ('toxic' if truth else 'clean')}"
        by_label[label]["n"] += 1
        by_label[label]["flagged"] += int(pred)
        if truth and not pred:
            missed.append((it, v))
        elif pred and not truth:
            alarms.append((it, v))

    def metrics(c: Counter[str]) -> dict[str, Any]:
        tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
        return {"n": tp + fp + fn + tn, **_prf(tp, fp, fn),
                "flag_rate_on_negatives": round(fp / (fp + tn), 4) if fp + tn else 0.0,
                "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn}}

    return {
        "task": "toxicity", **metrics(counts["all"]),
        "by_source": {s: metrics(c) for s, c in sorted(counts.items()) if s != "all"},
        "by_label": {k: {"n": c["n"], "flagged": c["flagged"], "rate": round(c["flagged"] / c["n"], 4)}
                     for k, c in sorted(by_label.items())},
        **_examples(missed, alarms, misses),
    }


def _print_toxicity(r: dict[str, Any]) -> None:
    print(f"Toxicity (abuse aimed at others): {r['n']} items")
    print(f"  precision {r['precision']:.3f}  recall {r['recall']:.3f}  F1 {r['f1']:.3f}  "
          f"flag rate on non-toxic {r['flag_rate_on_negatives']:.3f}")
    print(f"  confusion: {r['confusion']}")
    print("\n  By source:")
    for src, m in r["by_source"].items():
        print(f"    {src}: n {m['n']}  precision {m['precision']:.3f}  recall {m['recall']:.3f}  F1 {m['f1']:.3f}  "
              f"flag rate on non-toxic {m['flag_rate_on_negatives']:.3f}")
    print("\n  Flag rate by original label:")
    for label, m in r["by_label"].items():
        print(f"    {label}: {m['rate']:.3f} ({m['flagged']}/{m['n']})")
    _print_examples("Misses (toxic, not flagged)", r["worst_misses"])
    _print_examples("False alarms (not toxic, flagged)", r["worst_false_alarms"])


# -- sanitize ----------------------------------------------------------------------

def evaluate_sanitize(items: list[dict[str, Any]]) -> dict[str, Any]:
    from moderation import screen
    from moderation.render import sanitise_html

    failures = []
    passed = 0
    for it in items:
        text = it["input"]
        problems = []
        v = screen(text, kind="post")
        problems += [f"as post: {p}" for p in html_problems(v.html)]
        problems += [f"as HTML: {p}" for p in html_problems(sanitise_html(text))]
        if problems:
            failures.append({"id": it.get("id"), "problems": problems, "input": _short(text, 100)})
        else:
            passed += 1
    return {"task": "sanitize", "n": len(items), "passed": passed, "failed": len(failures), "failures": failures}


def _print_sanitize(r: dict[str, Any]) -> None:
    print(f"Sanitiser: {r['passed']}/{r['n']} inputs harmless both as a post body and as raw HTML")
    for f in r["failures"]:
        print(f"  FAIL {f['id']}: {'; '.join(f['problems'])}  input: {f['input']}")


def evaluate_language(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    from moderation import language

    named = []
    for it in items:
        found = language.assess(it["text"])
        if not found.supported:
            named.append({"id": it.get("id"), "language": found.language,
                          "confidence": round(found.confidence, 3), "text": it["text"][:200]})
    return {"task": "language", "n": len(items), "unsupported": len(named),
            "rate": round(len(named) / max(1, len(items)), 5), "texts": named}


def _print_language(r: dict[str, Any]) -> None:
    print(f"Language: {r['unsupported']}/{r['n']} texts named unsupported ({r['rate']:.3%})")
    for t in r["texts"]:
        print(f"  {t['language']} {t['confidence']:.2f} {t['id']}: {t['text'][:100]!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m moderation.evaluate", description="Evaluate the moderation engine.")
    ap.add_argument("--task", required=True, choices=("crisis", "toxicity", "sanitize", "language"))
    ap.add_argument("file", help="a JSON Lines file in the format of ../shared/data/README.md")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--limit", type=int, help="only the first N items")
    ap.add_argument("--examples", type=int, default=8, help="how many misses/false alarms to show")
    ap.add_argument("--audit", metavar="AUDIT.jsonl",
                    help="crisis only: raters' readings of items against the issue's rules "
                         "(docs/audit/); reports the recall ceiling they imply")
    args = ap.parse_args(argv)
    try:
        items = read_jsonl(args.file, args.limit)
        audit = read_audit(args.audit) if args.audit else None
    except OSError as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if audit is not None and args.task != "crisis":
        print("error: --audit applies to --task crisis only", file=sys.stderr)
        return 2
    required = {"crisis": ("text", "label"), "toxicity": ("text", "toxic"), "sanitize": ("input",),
                "language": ("text",)}[args.task]
    for n, it in enumerate(items, 1):
        missing = [k for k in required if k not in it]
        if missing:
            print(f"error: item {n} has no {', '.join(missing)} (is this a {args.task} file?)", file=sys.stderr)
            return 2
    start = time.perf_counter()
    if args.task == "crisis":
        result = evaluate_crisis(items, misses=args.examples, audit=audit)
    elif args.task == "toxicity":
        result = evaluate_toxicity(items, misses=args.examples)
    elif args.task == "language":
        result = evaluate_language(items)
    else:
        result = evaluate_sanitize(items)
    elapsed = time.perf_counter() - start
    from moderation import engine_info

    result["seconds"] = round(elapsed, 2)
    result["engine"] = engine_info()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        {"crisis": _print_crisis, "toxicity": _print_toxicity, "sanitize": _print_sanitize,
         "language": _print_language}[args.task](result)
        print(f"\n  {len(items)} items in {elapsed:.1f} s ({elapsed / max(1, len(items)) * 1000:.2f} ms/item)")
        print("  engine: " + ", ".join(f"{k}={v}" for k, v in result["engine"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
