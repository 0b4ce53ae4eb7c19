"""Latency and throughput of the moderation engine.

    python -m moderation.tools.bench [--iterations N] [--slow-iterations N] [--json] [--encoder | --abuse]

Prints p50 and p99 per stage and end to end for a short post, a 300-word
post and a chat message (and the fast stages again for the 300-word post
typed with curly apostrophes, as phones do, which makes it non-ASCII), and
the throughput of ``screen_many`` on 32 chat messages, against the targets
(a short Spanish post times the language stage on text it names unsupported):

* fast path as the issue defines it (render, sanitise, rules and crisis
  rules; with clean, which comes first) on a 300-word post, on ONE core:
  p50 <= 1 ms, p99 <= 5 ms. screen() also runs the fast toxicity scorer
  inline on the same path, so that sequence is timed and printed too;
* with the MiniLM semantic layer, a short post: p50 <= 15 ms;
* ``screen_many`` of 32 chat messages: <= 10 ms per message.

``--encoder`` times the MiniLM encoder instead, ONNX Runtime against the
PyTorch path in the same run (moderation.encoder): the crisis judge on a chat
message (p50 <= 5 ms) and a 300-word post (p50 <= 40 ms) on one core and
thread, and ``screen_many`` on two cores (>= 300 chat messages a second).

``--abuse`` times screen() with the learned abuse judge on and off in the
same run (and Detoxify where installed): with both judges, a short text
p50 <= 1.2 x 15 ms and screen_many <= 1.2 x 10 ms a chat message.

The process pins itself to one CPU (``os.sched_setaffinity``) and sets
torch to one thread, so the figures don't depend on what else the machine is
doing with its other cores. The texts are written for this benchmark.

Comparisons are reported as RATIOS of figures taken in the same run (nh3
against bleach, screen() against the fast path, screen_many against screen()
one message at a time): a ratio holds on a slower or busier machine, where an
absolute figure does not. The absolute targets are still printed (PASS/MISS)
for the machine the bench runs on. bleach is optional and never a dependency:
``pip install --target DIR bleach`` and run with ``PYTHONPATH=DIR``.
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import statistics
import sys
import time
from typing import Any, Callable

from moderation import settings as model_settings

SHORT_POST = ("Had a really rough week and I'm not sure how to talk to my family about it. "
              "Has anyone found a way to explain anxiety to parents?")
CHAT = "thanks, that actually helps a lot. going to try the breathing thing tonight"
# Texts that stalled the process (issue 14): the two quantities, the
# state pattern that went cubic, joined separators (the watched words'
# spaced-letter check) and many signals in one long sentence (crisis context).
_N = 20_000
ADVERSARIAL = {"digit run": "1" * _N, "digits and commas": "1," * (_N // 2),
               "quantity": "1" * (_N - 3) + " mg", "state after a signal": "i feel suicidal" + "/" * (_N - 15),
               "separator run": "a.-" * (_N // 3), "signals in one sentence": ("so suicidal thoughts " * _N)[:_N]}
# A short post that talks about suicide: the rules leave it to the models,
# so it takes the slowest path a short text can take (exemplars, head and
# the fine-tuned reader each read it).
TOPIC_POST = ("Our group talked about what to do when suicidal thoughts show up at night. "
              "Does anyone have a plan that works for them?")
_PARAGRAPHS = [
    "I've been lurking here for a while and finally decided to write something. Over the last few months "
    "things have been hard at work and at home, and I keep telling myself it will pass, but some days it "
    "feels like I'm carrying a heavy bag that nobody else can see.",
    "My sleep has been all over the place. I wake up at four and my mind starts racing about everything I "
    "said the day before, and then I'm exhausted by lunchtime. I tried cutting out coffee after midday "
    "and it helped a little, so I'm going to keep going with that.",
    "What has helped most is **talking to my sister**, who listens without trying to fix everything. "
    "I also started walking in the park after work, even when it's raining, because *moving* seems to "
    "quieten the noise in my head for a bit.",
    "> You don't have to feel better all at once.\n\nSomeone wrote that here last year and it stuck with me. "
    "I read a guide at https://example.org/coping-with-stress that had some practical ideas too.",
    "A few things I'm trying this month:\n\n- writing down three small things that went okay each day\n"
    "- keeping my phone out of the bedroom\n- saying yes when a friend asks me out, even for ten minutes",
    "It's strange how much lighter I feel after writing this down. I don't think everything is fixed, and "
    "there will be bad weeks again, but I can see a bit more clearly that the bad days end. My GP "
    "appointment is on Thursday and I've made a list of what I want to say so I don't freeze up.",
    "If anyone has tips for getting through the early mornings, I'd really like to hear them. And thank "
    "you to everyone who replies to people here; it makes a real difference to know others understand.",
]
LONG_POST = "\n\n".join(_PARAGRAPHS)
# Text the English stages can't read: the language stage's other path.
SPANISH_POST = ("Llevo semanas sintiéndome muy sola y no sé con quién hablar. "
                "¿A alguien más le pasa que por la noche todo parece peor?")
# The same post as typed on a phone: curly apostrophes make it non-ASCII,
# which takes slower paths in folding, rules and toxicity.
LONG_POST_CURLY = LONG_POST.replace("'", "\u2019")
FAST_PATH = "fast path (issue's definition)"
FAST_PATH_SCREEN = "fast path + fast toxicity"


def _pin_one_core() -> str:
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
        return f"pinned to CPU {cpus[-1]}"
    except (AttributeError, OSError) as exc:  # not Linux
        return f"not pinned ({exc})"


def _one_core_one_thread() -> str:
    """Pin to one core and one torch thread, so a run's figures compare."""
    pinned = _pin_one_core()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    return pinned


def _time(fn: Callable[[], Any], iterations: int, warm: int = 20, collect: bool = True) -> dict[str, float]:
    for _ in range(warm):
        fn()
    if collect:  # a clean heap for every figure; with the models loaded this costs ~0.15 s
        gc.collect()
    gc.disable()
    try:
        samples = []
        for _ in range(iterations):
            t0 = time.perf_counter_ns()
            fn()
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    finally:
        gc.enable()
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(round(0.99 * (len(samples) - 1))))]
    return {"p50": round(statistics.median(samples), 4), "p99": round(p99, 4), "n": iterations}


def _crisis_fast() -> Callable[[str], Any] | None:
    """The crisis engine's rules-only entry point, if it offers one."""
    from moderation import crisis

    for name in ("analyse_rules", "analyse_fast", "rules_only"):
        fn = getattr(crisis, name, None)
        if callable(fn):
            return fn
    return None


def _compare_bleach(html: str, iterations: int, warm: int = 20) -> dict[str, Any]:
    """nh3 against bleach on the same rendered post, same allow-list. bleach
    is not a dependency (it is deprecated); put it on PYTHONPATH to compare."""
    from moderation import render

    out: dict[str, Any] = {"words": len(LONG_POST.split()), "nh3": _time(lambda: render.sanitise_html(html), iterations,
                                                                        warm)}
    try:
        import bleach
    except ImportError:
        out["bleach"] = "not installed (optional; e.g. pip install --target DIR bleach, then PYTHONPATH=DIR)"
        return out
    attrs = {k: sorted(v) for k, v in render.ALLOWED_ATTRIBUTES.items()}
    out["bleach"] = _time(lambda: bleach.clean(html, tags=set(render.ALLOWED_TAGS), attributes=attrs,
                                               protocols=set(render.ALLOWED_URL_SCHEMES), strip=True), iterations,
                          warm)
    out["bleach_version"] = bleach.__version__
    out["speedup"] = round(out["bleach"]["p50"] / max(out["nh3"]["p50"], 1e-9), 1)
    return out


def _ratio(num: dict[str, float], den: dict[str, float]) -> float:
    """p50 of ``num`` over p50 of ``den``: both timed in this run, so the
    ratio holds whatever the machine's speed or load."""
    return round(num["p50"] / max(den["p50"], 1e-9), 2)


def run(iterations: int = 300, slow_iterations: int = 100, *, warm: int = 20,
        adversarial_chars: int = _N, collect: bool = True) -> dict[str, Any]:
    """``iterations`` for the fast stages; ``slow_iterations`` for the stages
    that run the MiniLM model (full crisis, screen()), which cost ~10 ms or
    more a call. 100 samples still give a p99 that is a real sample (the
    second slowest), not just the maximum. ``warm`` calls precede each
    timing and ``collect`` runs the garbage collector before it; the tests
    pass small values and no collection to check the code, not the speed."""
    pinned = _one_core_one_thread()

    import moderation
    from moderation import language, render, rules, toxicity
    from moderation.normalise import clean_text, fold
    from moderation.signposting import known_numbers

    moderation.warm_up()
    ruleset = rules.default_rules()
    numbers = known_numbers()
    texts = {"short post": SHORT_POST, "300-word post": LONG_POST, "chat message": CHAT,
             "300-word post, curly apostrophes": LONG_POST_CURLY, "short post about suicide": TOPIC_POST,
             "short post in Spanish": SPANISH_POST}
    # The model stages take most of the run.
    slow_texts = ("short post", "300-word post", "chat message", "short post about suicide")
    crisis_mod = None
    try:
        from moderation import crisis as crisis_mod
    except ImportError:
        pass
    crisis_fast = _crisis_fast() if crisis_mod else None
    results: dict[str, Any] = {"environment": {"cpu": pinned, "torch_threads": 1, "iterations": iterations,
                                               "slow_iterations": slow_iterations,
                                               "words_in_long_post": len(LONG_POST.split())},
                               "engine": moderation.engine_info(), "stages": {}, "ratios": {}}
    for label, text in texts.items():
        kind = "chat" if label == "chat message" else "post"
        stages: dict[str, Any] = {}
        stages["clean"] = _time(lambda: clean_text(text), iterations, warm, collect=collect)
        stages["rules"] = _time(lambda: ruleset.match(text, kind=kind, folded=fold(text), ignore_numbers=numbers),
                                iterations, warm, collect=collect)
        stages["render+sanitise"] = _time(lambda: render.render(text), iterations, warm, collect=collect)
        html = render.render_markdown(text)
        stages["sanitise only (nh3)"] = _time(lambda: render.sanitise_html(html), iterations, warm, collect=collect)
        if crisis_fast is not None:
            stages["crisis rules"] = _time(lambda: crisis_fast(text), iterations, warm, collect=collect)
        stages["toxicity (fast)"] = _time(lambda: toxicity.analyse(text), iterations, warm, collect=collect)
        stages["language"] = _time(lambda: language.assess(text), iterations, warm, collect=collect)

        def fast_path(text: str = text, kind: str = kind, toxicity_too: bool = False) -> None:
            # The fast path as one sequence, the way screen() runs it.
            cleaned = clean_text(text)
            ruleset.match(cleaned, kind=kind, folded=fold(cleaned), ignore_numbers=numbers)
            render.render(cleaned)
            if crisis_fast is not None:
                crisis_fast(cleaned)
            if toxicity_too:
                toxicity.analyse(cleaned)

        stages[FAST_PATH] = _time(fast_path, iterations, warm, collect=collect)
        stages[FAST_PATH_SCREEN] = _time(lambda: fast_path(toxicity_too=True), iterations, warm, collect=collect)
        results["ratios"][f"{label}: language stage / (fast path + fast toxicity)"] = _ratio(
            stages["language"], stages[FAST_PATH_SCREEN])
        if label in slow_texts:
            if crisis_mod is not None:
                stages["crisis (full)"] = _time(lambda: crisis_mod.analyse(text), slow_iterations, min(warm, 5),
                                                collect=collect)
            stages["end to end: screen()"] = _time(lambda: moderation.screen(text, kind=kind), slow_iterations,
                                                   min(warm, 5), collect=collect)
            results["ratios"][f"{label}: screen() / (fast path + fast toxicity)"] = _ratio(
                stages["end to end: screen()"], stages[FAST_PATH_SCREEN])
            results["ratios"][f"{label}: language stage / screen()"] = round(
                stages["language"]["p50"] / max(stages["end to end: screen()"]["p50"], 1e-9), 4)
        results["stages"][label] = stages
    results["sanitiser_comparison"] = _compare_bleach(render.render_markdown(LONG_POST), iterations, warm)
    batch = [f"{CHAT} ({i})" for i in range(32)]
    batch_runs = max(min(10, slow_iterations), slow_iterations // 5)
    many = _time(lambda: moderation.screen_many(batch, kind="chat"), batch_runs, min(warm, 2), collect=collect)
    one_by_one = _time(lambda: [moderation.screen(t, kind="chat") for t in batch], batch_runs, min(warm, 2),
                       collect=collect)
    results["screen_many_32_chat"] = {"p50_batch_ms": many["p50"], "per_message_ms": round(many["p50"] / 32, 4),
                                      "messages_per_second": round(32 / (many["p50"] / 1000), 1),
                                      "screen_one_by_one_per_message_ms": round(one_by_one["p50"] / 32, 4)}
    results["ratios"]["32 chat messages: screen_many / screen() one by one"] = _ratio(many, one_by_one)
    comparison = results["sanitiser_comparison"]
    if isinstance(comparison.get("bleach"), dict):
        results["ratios"]["sanitiser: bleach / nh3"] = comparison["speedup"]
    long_ = results["stages"]["300-word post"]
    fast = long_[FAST_PATH]
    # The crisis engine only runs MiniLM when its cheap gate lets a text
    # through, and the short post may not get through. Take the slower of the
    # two short texts end to end, so the figure includes the model whenever
    # either text reaches it.
    short_e2e = max((results["stages"][k]["end to end: screen()"] for k in ("short post", "chat message")),
                    key=lambda m: m["p50"])
    semantic_on = "unavailable" not in str(results["engine"].get("crisis.semantic", results["engine"].get(
        "semantic", "unavailable")))
    # ReDoS (issue 14): the worst of the texts that once stalled a pattern,
    # 20,000 characters each, against the 300-word post, end to end.
    post_e2e = long_["end to end: screen()"]
    adversarial = {label: _time(lambda t=t: moderation.screen(t[:adversarial_chars], kind="post"),
                                3 if slow_iterations >= 10 else 1, warm=0, collect=collect)
                   for label, t in ADVERSARIAL.items()}
    worst = max(adversarial, key=lambda k: adversarial[k]["p50"])
    results["adversarial_20000"] = {k: v["p50"] for k, v in adversarial.items()}
    worst_label = f"worst {adversarial_chars:,}-char adversarial text ({worst}): screen() / 300-word post"
    results["ratios"][worst_label] = _ratio(adversarial[worst], post_e2e)
    results["targets"] = [
        {"target": "fast path (render, sanitise, rules, crisis rules), 300-word post, p50 <= 1 ms",
         "measured": fast["p50"], "ok": fast["p50"] <= 1.0, "complete": "crisis rules" in long_},
        {"target": "fast path (render, sanitise, rules, crisis rules), 300-word post, p99 <= 5 ms",
         "measured": fast["p99"], "ok": fast["p99"] <= 5.0, "complete": "crisis rules" in long_},
        {"target": "short text (post or chat) with MiniLM semantic layer, p50 <= 15 ms",
         "measured": short_e2e["p50"],
         "ok": short_e2e["p50"] <= 15.0, "complete": semantic_on},
        {"target": "screen_many of 32 chat messages, <= 10 ms per message",
         "measured": results["screen_many_32_chat"]["per_message_ms"],
         "ok": results["screen_many_32_chat"]["per_message_ms"] <= 10.0, "complete": True},
    ]
    return results


def _set_cpus(n: int) -> str:
    try:
        cpus = sorted(os.sched_getaffinity(0) | set(range(os.cpu_count() or 1)))[-n:]
        os.sched_setaffinity(0, set(cpus))
        return f"CPUs {cpus}"
    except (AttributeError, OSError) as exc:  # not Linux
        return f"not pinned ({exc})"


def _encoder_path(name: str, threads: int) -> None:
    """Switch the encoder to ``name`` (onnx or torch) with ``threads``
    intra-op threads for both runtimes; the graphs come from the cache."""
    from moderation import encoder
    from moderation.toxicity import torch_threads

    model_settings.install(dataclasses.replace(model_settings.current(), encoder=name, torch_threads=threads))
    torch_threads(threads)  # the torch model was loaded earlier, with the default
    encoder.reset()
    if name == "onnx" and encoder.get() is None:
        raise SystemExit(f"the ONNX path did not load: {encoder.describe()}")


def run_encoder(iterations: int = 100) -> dict[str, Any]:
    """The encoder on each path, as same-run ratios ONNX over PyTorch: the
    crisis judge's read of one chat message and of the 300-word post on one
    core and one thread (its encoding cache cleared each time, so every read
    encodes); and on two cores, screen_many of 64 chat messages and the
    judge reading all 64 (the model reading everything)."""
    import moderation
    from moderation import crisis_judge, encoder

    model_settings.install(dataclasses.replace(model_settings.current(), crisis_judge=True))

    def judge_reads(texts: list[str]) -> Any:
        encoder.clear_cache()
        return crisis_judge.read_many(texts)

    moderation.warm_up()
    before = model_settings.current()
    out: dict[str, Any] = {"one core": {}, "two cores": {}, "ratios": {}, "engine": {}}
    cpu1 = _set_cpus(1)
    for name in ("torch", "onnx"):
        _encoder_path(name, 1)
        for label, text in (("chat message", CHAT), ("300-word post", LONG_POST)):
            out["one core"][f"{label}, {name}"] = _time(lambda: judge_reads([text]), iterations,
                                                         warm=5)
        out["engine"][name] = encoder.describe()
    cpu2 = _set_cpus(2)
    batch = [f"{CHAT} ({i})" for i in range(64)]
    for name in ("torch", "onnx"):
        _encoder_path(name, 2)
        for label, fn in (("screen_many", lambda: (encoder.clear_cache(), moderation.screen_many(batch, kind="chat"))),
                          ("judge reads all", lambda: judge_reads(batch))):
            m = _time(fn, max(10, iterations // 5), warm=2)
            m["messages_per_second"] = round(64 / (m["p50"] / 1000), 1)
            out["two cores"][f"{label}, 64 chat messages, {name}"] = m
    model_settings.install(before)
    one, two = out["one core"], out["two cores"]
    for label in ("chat message", "300-word post"):
        out["ratios"][f"{label} (1 core): onnx / torch"] = _ratio(one[f"{label}, onnx"], one[f"{label}, torch"])
    for label in ("screen_many", "judge reads all"):
        out["ratios"][f"{label} 64 chat (2 cores): onnx / torch"] = _ratio(
            two[f"{label}, 64 chat messages, onnx"], two[f"{label}, 64 chat messages, torch"])
    out["environment"] = {"one core": cpu1, "two cores": cpu2, "iterations": iterations}
    out["targets"] = [
        {"target": "crisis judge, short chat message, 1 core, p50 <= 5 ms", "measured": one["chat message, onnx"]["p50"],
         "ok": one["chat message, onnx"]["p50"] <= 5.0, "unit": "ms"},
        {"target": "crisis judge, 300-word post, 1 core, p50 <= 40 ms", "measured": one["300-word post, onnx"]["p50"],
         "ok": one["300-word post, onnx"]["p50"] <= 40.0, "unit": "ms"},
        {"target": "screen_many, 2 cores, >= 300 chat messages/s",
         "measured": two["screen_many, 64 chat messages, onnx"]["messages_per_second"],
         "ok": two["screen_many, 64 chat messages, onnx"]["messages_per_second"] >= 300, "unit": "msg/s"},
        {"target": "crisis judge reading every message, 2 cores, >= 300 chat messages/s",
         "measured": two["judge reads all, 64 chat messages, onnx"]["messages_per_second"],
         "ok": two["judge reads all, 64 chat messages, onnx"]["messages_per_second"] >= 300, "unit": "msg/s"},
    ]
    return out


def run_abuse(iterations: int = 100) -> dict[str, Any]:
    """screen() with the learned abuse judge on and off in the same run, on
    one core, against the crisis targets with the issue's 1.2x allowance;
    and Detoxify's cost per text where its weights are installed."""
    import moderation
    from moderation import abuse, encoder, toxicity

    # screen() consults the judge only when it is switched on (off by default).
    model_settings.install(dataclasses.replace(model_settings.current(), abuse_judge=True))
    pinned = _one_core_one_thread()
    moderation.warm_up()
    batch = [f"{CHAT} ({i})" for i in range(32)]
    out: dict[str, Any] = {"environment": {"cpu": pinned, "iterations": iterations}, "judge on": {},
                           "judge off": {}, "ratios": {}}
    texts = {"short post": SHORT_POST, "chat message": CHAT, "short post about suicide": TOPIC_POST,
             "300-word post": LONG_POST}
    for mode in ("judge on", "judge off"):
        with abuse.switched_off(mode == "judge off"):
            for label, text in texts.items():
                kind = "chat" if label == "chat message" else "post"
                # Each screen() reads the text as new: the encoder's cache
                # shares one pass between the judges, never across posts.
                out[mode][label] = _time(lambda: (encoder.clear_cache(), moderation.screen(text, kind=kind)),
                                         iterations, warm=5)
            many = _time(lambda: (encoder.clear_cache(), moderation.screen_many(batch, kind="chat")),
                         max(10, iterations // 5), warm=2)
            out[mode]["screen_many 32 chat, per message"] = {k: round(v / 32, 4) if k != "n" else v
                                                             for k, v in many.items()}
    for label in out["judge on"]:
        out["ratios"][f"{label}: judge on / judge off"] = _ratio(out["judge on"][label], out["judge off"][label])
    scorer = toxicity.full_scorer()
    if scorer is not None:
        out["detoxify, short post"] = _time(lambda: toxicity.analyse_with_model(SHORT_POST), iterations // 2, warm=3)
        out["ratios"]["detoxify / judge-on screen(), short post"] = _ratio(out["detoxify, short post"],
                                                                            out["judge on"]["short post"])
    else:
        out["detoxify, short post"] = "no Detoxify weights installed (optional): not timed"
    on = out["judge on"]
    short = max(on["short post"]["p50"], on["chat message"]["p50"])
    out["targets"] = [
        {"target": "short text (post or chat), both judges, p50 <= 1.2 x 15 ms", "measured": short,
         "ok": short <= 18.0, "unit": "ms"},
        {"target": "screen_many of 32 chat messages, both judges, <= 1.2 x 10 ms a message",
         "measured": on["screen_many 32 chat, per message"]["p50"],
         "ok": on["screen_many 32 chat, per message"]["p50"] <= 12.0, "unit": "ms"},
    ]
    out["engine"] = moderation.engine_info()
    return out


def _print_abuse(r: dict[str, Any]) -> None:
    print(f"Abuse judge benchmark: screen() with the judge on and off ({r['environment']})")
    print(f"\n    {'':<40}{'on p50':>10}{'on p99':>10}{'off p50':>10}{'off p99':>10}  (ms)")
    for label, m in r["judge on"].items():
        o = r["judge off"][label]
        print(f"    {label:<40}{m['p50']:>10.3f}{m['p99']:>10.3f}{o['p50']:>10.3f}{o['p99']:>10.3f}")
    d = r["detoxify, short post"]
    print("\n  Detoxify (the optional stronger scorer), short post: "
          + (f"{d['p50']:.3f} ms p50, {d['p99']:.3f} ms p99" if isinstance(d, dict) else d))
    _print_ratios_and_targets(r, width=60)
    print(f"\n  abuse judge: {r['engine'].get('abuse_judge')}; encoder: {r['engine'].get('crisis.encoder')}")


def _print_ratios_and_targets(r: dict[str, Any], width: int) -> None:
    print("\n  Ratios (p50 over p50, both timed in this run):")
    for name, value in r["ratios"].items():
        print(f"    {name:<{width}}{value:>8.2f}x")
    print("\n  Targets (absolute, on this machine):")
    for t in r["targets"]:
        print(f"    [{'PASS' if t['ok'] else 'MISS'}] {t['target']}: {t['measured']:.2f} {t['unit']}")


def _print_encoder(r: dict[str, Any]) -> None:
    print(f"Encoder benchmark: ONNX Runtime against PyTorch ({r['environment']})")
    for part in ("one core", "two cores"):
        print(f"\n  {part}:")
        for name, m in r[part].items():
            extra = f"{m['messages_per_second']:>10.0f} msg/s" if "messages_per_second" in m else ""
            print(f"    {name:<48}{m['p50']:>10.3f} ms p50{m['p99']:>10.3f} ms p99{extra}")
    _print_ratios_and_targets(r, width=52)
    print("\n  encoder: " + ", ".join(f"{k}={v}" for k, v in r["engine"].items()))


def _print(r: dict[str, Any]) -> None:
    env = r["environment"]
    print(f"Moderation benchmark ({env['cpu']}, torch threads {env['torch_threads']}, "
          f"{env['iterations']} iterations, {env['slow_iterations']} for model stages; "
          f"long post = {env['words_in_long_post']} words)")
    for label, stages in r["stages"].items():
        print(f"\n  {label}:")
        print(f"    {'stage':<32}{'p50 ms':>10}{'p99 ms':>10}")
        for name, m in stages.items():
            print(f"    {name:<32}{m['p50']:>10.3f}{m['p99']:>10.3f}")
    m = r["screen_many_32_chat"]
    print(f"\n  screen_many(32 chat messages): {m['p50_batch_ms']:.2f} ms a batch, {m['per_message_ms']:.3f} ms a "
          f"message, {m['messages_per_second']:.0f} messages/s (screen() one by one: "
          f"{m['screen_one_by_one_per_message_ms']:.3f} ms a message)")
    c = r["sanitiser_comparison"]
    if isinstance(c.get("bleach"), dict):
        print(f"\n  Sanitiser on the rendered {c['words']}-word post: nh3 {c['nh3']['p50']:.3f} ms, "
              f"bleach {c['bleach_version']} {c['bleach']['p50']:.3f} ms (p50)")
    else:
        print(f"\n  Sanitiser: nh3 {c['nh3']['p50']:.3f} ms p50; bleach {c['bleach']}: no ratio")
    print("\n  Ratios (p50 over p50, both timed in this run):")
    for name, value in r["ratios"].items():
        print(f"    {name:<68}{value:>8.{4 if value < 0.01 else 2}f}x")
    print(f"\n  '{FAST_PATH}' is the issue's fast path: clean, rules, render + sanitise, crisis rules.\n"
          f"  '{FAST_PATH_SCREEN}' adds the fast toxicity scorer, which screen() also runs inline:\n"
          f"  that is what screen() spends before the model layers.")
    print("\n  Targets (absolute, on this machine):")
    for t in r["targets"]:
        status = "PASS" if t["ok"] else "MISS"
        note = "" if t["complete"] else "  (stage not available in this build: figure incomplete)"
        print(f"    [{status}] {t['target']}: {t['measured']:.3f} ms{note}")
    print("\n  engine: " + ", ".join(f"{k}={v}" for k, v in r["engine"].items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m moderation.tools.bench", description="Benchmark the moderation engine.")
    ap.add_argument("--iterations", type=int, default=300, help="samples per fast stage (default 300)")
    ap.add_argument("--slow-iterations", type=int, default=100,
                    help="samples per model stage: full crisis, screen() (default 100)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--encoder", action="store_true", help="time the encoder, ONNX against PyTorch, instead")
    ap.add_argument("--abuse", action="store_true",
                    help="time screen() with the abuse judge on and off (and Detoxify if installed), instead")
    args = ap.parse_args(argv)
    if args.abuse:
        r, show = run_abuse(args.slow_iterations), _print_abuse
    elif args.encoder:
        r, show = run_encoder(args.slow_iterations), _print_encoder
    else:
        r, show = run(args.iterations, args.slow_iterations), _print
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        show(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
