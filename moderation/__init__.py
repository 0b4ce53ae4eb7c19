"""Kindred's moderation engine. Pure Python: no Flask, no I/O on the hot path.

Every post, reply, edit, title and chat message passes through ``screen``:

1. clean      NUL/control characters removed, bidi overrides and zero-width
              characters neutralised (``normalise.clean_text``); limits checked
2. render     Markdown -> HTML (markdown-it, raw HTML off) -> nh3 allow-list
3. rules      watched words and patterns (``rules.RuleSet``)
4. crisis     risk tier and crisis categories (``crisis.analyse``)
5. toxicity   abuse aimed at others (``toxicity.analyse``)
   language   text the English stages can't read (``language.assess``)
6. signposting and policy -> one ``Verdict``

Fail safe: each stage runs in isolation. If one raises, the verdict gets
``screening_error`` (held for a human) while the findings of the other stages
are kept, so a crash in, say, toxicity can never hide an imminent-risk
finding from the escalation path. ``screen`` never raises on any ``str``.

Thread-safe and deterministic: models are loaded lazily, once per process,
behind locks; ``warm_up()`` loads them at server start.
"""
from __future__ import annotations

import dataclasses
import importlib
import html as _html
import logging
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from moderation import language as _language
from moderation import policy as _policy
from moderation import signposting as _signposting
from moderation import toxicity as _toxicity
from moderation.normalise import clean_text, fold
from moderation import render as _render
from moderation import settings as _settings
from moderation.render import MAX_NESTING, NestingTooDeep, render_plain
from moderation.rules import RuleHit, RuleSet, apply_replacements, default_rules
from moderation.verdict import ACTION_RANK, KINDS, RISK_RANK, Reason, Service, Signposting, Verdict

__all__ = [
    "Reason", "Service", "Signposting", "Verdict", "ScreeningConfig", "configure", "engine_info",
    "screen", "screen_many", "second_opinion", "warm_up",
]

log = logging.getLogger(__name__)

ENGINE_VERSION = "1"
DEFAULT_LIMITS = MappingProxyType({"post": 20_000, "reply": 20_000, "edit": 20_000, "title": 150, "chat": 2_000})
_KIND_NAMES = {"post": "post", "reply": "reply", "edit": "post", "title": "title", "chat": "message"}


@dataclass(frozen=True)
class ScreeningConfig:
    """Settings for screening. The forum builds one from its config
    (KINDRED_MAX_POST_CHARS, KINDRED_MAX_CHAT_CHARS, KINDRED_MAX_TITLE_CHARS,
    and the model settings: ``config.model_settings``) and installs it with
    ``configure``; tests pass one to ``screen``."""

    limits: Mapping[str, int] = field(default_factory=lambda: DEFAULT_LIMITS)
    rules: RuleSet | None = None  # None: the packaged default rules
    default_region: str | None = None
    # Run Detoxify inside screen() when its weights are available. Off by
    # default: at ~55-350 ms a text it belongs in the background second opinion.
    toxicity_inline: bool = False
    # Which models run and where their files are; None leaves the installed
    # ones (moderation.settings) as they are.
    models: _settings.ModelSettings | None = None

    @classmethod
    def from_limits(cls, *, post: int | None = None, chat: int | None = None, title: int | None = None,
                    **kwargs: Any) -> "ScreeningConfig":
        limits = dict(DEFAULT_LIMITS)
        if post:
            limits.update(post=post, reply=post, edit=post)
        if chat:
            limits["chat"] = chat
        if title:
            limits["title"] = title
        return cls(limits=MappingProxyType(limits), **kwargs)

    def limit(self, kind: str) -> int:
        return int(self.limits.get(kind, self.limits.get("post", DEFAULT_LIMITS["post"])))


_config = ScreeningConfig()


def configure(config: ScreeningConfig | None = None, **limits: int) -> ScreeningConfig:
    """Install the process-wide default config (the forum calls this once)."""
    global _config
    _config = config if config is not None else ScreeningConfig.from_limits(**limits)
    if _config.models is not None:
        _settings.install(_config.models)
    return _config


# -- helpers ---------------------------------------------------------------------------

@dataclass
class _Work:
    """One text's progress through the stages."""

    raw: Any
    text: str = ""
    html: str = ""
    reasons: list[Reason] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)
    rule_actions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    scores: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    risk: str = "none"
    audience: str = "none"
    error: str | None = None  # member-facing block message
    done: bool = False  # blocked before the expensive stages


def _fail(w: _Work, stage: str, exc: BaseException) -> None:
    log.exception("moderation stage %s failed", stage, exc_info=exc)
    w.errors.append(stage)
    w.categories.add("screening_error")
    w.reasons.append(Reason("screening_error", 0, 0, "", f"The {stage} stage failed ({type(exc).__name__}); "
                                                         "held so a person can check it."))


def _plain_html(text: str) -> str:
    return f"<p>{render_plain(text)}</p>" if text else ""


def _block(w: _Work, code: str, message: str, explanation: str) -> None:
    w.error = message
    w.categories.add(code)
    w.reasons.append(Reason(code, 0, len(w.text), w.text[:80], explanation))
    w.rule_actions.append("block")
    w.done = True


def _stage_clean(w: _Work, kind: str, cfg: ScreeningConfig) -> None:
    if not isinstance(w.raw, str):
        raise TypeError(f"screen() needs a str, not {type(w.raw).__name__}")
    w.text = clean_text(w.raw)
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    noun = _KIND_NAMES[kind]
    if not w.text.strip():
        _block(w, "rule.empty", f"Your {noun} is empty. Please write something before sending it.",
               "Nothing to publish.")
        return
    limit = cfg.limit(kind)
    if len(w.text) > limit:
        _block(w, "rule.too_long",
               f"Your {noun} is {len(w.text):,} characters long, and the limit is {limit:,}. "
               f"Please shorten it or split it into parts; your text has been kept.",
               f"Longer than the {limit:,}-character limit for a {noun}.")


def _stage_render(w: _Work, kind: str, hits: Sequence[RuleHit]) -> None:
    source = w.text
    if any(h.rule.action == "replace" for h in hits):
        source = apply_replacements(source, list(hits))
    if kind == "title":
        w.html = render_plain(source.replace("\n", " "))
        return
    try:
        w.html = _render.render(source)
    except NestingTooDeep:
        w.html = _plain_html(w.text)
        _block(w, "rule.too_deep",
               f"Your {_KIND_NAMES[kind]} nests quotes or lists more than {MAX_NESTING} levels deep. "
               f"Please simplify it; your text has been kept.",
               f"Quotes or lists nested more than {MAX_NESTING} levels deep.")


def _stage_rules(w: _Work, kind: str, ruleset: RuleSet) -> list[RuleHit]:
    hits = ruleset.match(w.text, kind=kind, folded=fold(w.text), ignore_numbers=_signposting.known_numbers())
    last_end: dict[str, int] = {}
    for h in hits:
        # One reason per rule and place: overlapping patterns of the same rule
        # ("my insta is @x" and "insta is @x") would only repeat themselves.
        if h.start < last_end.get(h.rule.name, -1):
            continue
        last_end[h.rule.name] = h.end
        w.categories.add(h.rule.code)
        if h.rule.category:
            w.categories.add(h.rule.category)
        w.rule_actions.append(h.rule.action)
        if h.rule.warning and h.rule.warning not in w.warnings:
            w.warnings.append(h.rule.warning)
        w.reasons.append(Reason(h.rule.code, h.start, h.end, h.excerpt[:200],
                                h.rule.explanation or f"Matched the watched rule {h.rule.name}."))
        if h.rule.action == "block" and w.error is None:
            w.error = h.rule.explanation or "This can't be posted on Kindred."
    return hits


def _apply_crisis(w: _Work, finding: Any) -> None:
    # An unknown tier is treated as high: never lower than we can be sure of.
    w.risk = finding.risk if finding.risk in RISK_RANK else "high"
    w.categories.update(finding.categories)
    w.reasons.extend(finding.reasons)
    if any(r.code == "crisis.error" for r in finding.reasons):
        # The crisis engine caught its own failure and returned a cautious
        # finding; it is still a screening failure, so a person must look
        # before anyone else sees the text.
        w.errors.append("crisis")
        w.categories.add("screening_error")
    w.scores["crisis"] = dict(finding.scores)
    w.audience = getattr(finding, "audience", "none") or "none"


def _apply_toxicity(w: _Work, finding: _toxicity.ToxicityFinding) -> None:
    w.categories.update(finding.categories)
    w.reasons.extend(finding.reasons)
    w.scores["toxicity"] = dict(finding.scores, scorer=finding.scorer)


_CRISIS_WARNINGS = (
    ("crisis.self_harm", "Mentions self-harm"),
    ("crisis.ideation", "Mentions suicide"),
    ("crisis.plan", "Mentions suicide"),
    ("crisis.means", "Mentions suicide"),
    ("crisis.method_detail", "Mentions suicide"),
)


def _signposting_for(w: _Work, region: str | None) -> Signposting | None:
    return _signposting.decide(w.risk, w.audience, w.categories, w.reasons, region,
                               unreadable=_language.CODE in w.categories)


_engine_static: dict[str, Any] | None = None


def engine_info(ruleset: RuleSet | None = None, pol: _policy.Policy | None = None) -> dict[str, Any]:
    """Which stages and models are active, with versions."""
    global _engine_static
    if _engine_static is None:
        import markdown_it
        import nh3
        _engine_static = {
            "engine": ENGINE_VERSION,
            "render": f"markdown-it-py@{markdown_it.__version__}+nh3@{nh3.__version__}",
            "helplines": _signposting.data_version(),
        }
    info = dict(_engine_static)
    info["rules"] = (ruleset or default_rules()).version
    info["policy"] = (pol or _policy.DEFAULT).name
    info.update(_crisis_info())
    info.update(_toxicity.engine_info())
    info["abuse_judge"] = _abuse_info()
    info.update(_language.engine_info())
    return info


def _abuse_info() -> str:
    try:
        return importlib.import_module("moderation.abuse").describe()
    except Exception as exc:  # reported, not raised
        return f"unavailable: {type(exc).__name__}: {exc}"


def _crisis_info() -> dict[str, Any]:
    """The crisis engine's versions (not cached here: its semantic layer loads
    lazily, and the verdict must say what actually ran)."""
    try:
        crisis = importlib.import_module("moderation.crisis")
        return {k if k.startswith("crisis") else f"crisis.{k}": v for k, v in crisis.engine_info().items()}
    except Exception as exc:  # reported, not raised: screen() marks the error itself
        return {"crisis": f"unavailable: {type(exc).__name__}: {exc}"}


def _finish(w: _Work, kind: str, region: str | None, pol: _policy.Policy, engine: dict[str, Any]) -> Verdict:
    if w.errors and not w.html and w.text:
        w.html = _plain_html(w.text)
    action, priority = pol.decide(w.risk, w.categories, w.rule_actions)
    if w.error is not None:
        action, priority = "block", None
    signpost = None
    warning = None
    try:
        signpost = _signposting_for(w, region)
    except Exception as exc:  # signposting must never stop a verdict
        _fail(w, "signposting", exc)
        action, priority = pol.decide(w.risk, w.categories, w.rule_actions)
        if w.error is not None:
            action = "block"
    for code, text in _CRISIS_WARNINGS:
        if code in w.categories and text not in w.warnings:
            w.warnings.append(text)
    if w.warnings:
        warning = "; ".join(w.warnings)
    eng = dict(engine, policy=pol.name)
    if w.errors:
        eng["failed_stages"] = list(w.errors)
    return Verdict(
        action=action, risk=w.risk, categories=frozenset(w.categories), html=w.html,
        reasons=tuple(sorted(w.reasons, key=lambda r: (r.start, r.end, r.code))),
        scores=w.scores, signposting=signpost, content_warning=warning, engine=eng,
        text=w.text, error=w.error, priority=priority,
    )


def _screen_batch(texts: Sequence[Any], kind: str, region: str | None, profile: Any,
                  config: ScreeningConfig | None) -> list[Verdict]:
    cfg = config or _config
    region = region or cfg.default_region
    pol = _policy.get(profile)
    ruleset = cfg.rules or default_rules()
    work = [_Work(raw=t) for t in texts]
    for w in work:
        try:
            _stage_clean(w, kind, cfg)
        except Exception as exc:
            w.text = w.raw if isinstance(w.raw, str) else ""
            try:
                w.text = clean_text(w.text)
            except Exception:
                w.text = ""
            _fail(w, "clean", exc)
            w.done = True
    live = [w for w in work if not w.done]
    for w in live:
        hits: list[RuleHit] = []
        try:
            hits = _stage_rules(w, kind, ruleset)
        except Exception as exc:
            _fail(w, "rules", exc)
        try:
            _stage_render(w, kind, hits)
        except Exception as exc:
            _fail(w, "render", exc)
    live = [w for w in live if not w.done]
    _run_crisis(live)
    judged = _run_judge(live)
    for w, judgement in zip(live, judged):
        try:
            if judgement is _FAILED:
                raise RuntimeError("the abuse judge failed on this text")
            _apply_toxicity(w, _toxicity.analyse(w.text, threshold=pol.toxicity_threshold, judgement=judgement))
            if cfg.toxicity_inline:
                model = _toxicity.analyse_with_model(w.text, threshold=pol.toxicity_threshold)
                if model is not None:
                    w.categories.update(model.categories)
                    w.reasons.extend(model.reasons)
                    w.scores["toxicity_model"] = dict(model.scores, scorer=model.scorer)
        except Exception as exc:
            _fail(w, "toxicity", exc)
        try:
            finding = _language.assess(w.text)
            w.categories.update(finding.categories)
            w.reasons.extend(finding.reasons)
        except Exception as exc:
            _fail(w, "language", exc)
    for w in work:
        if w.done and not w.html:
            w.html = _plain_html(w.text)
    engine = engine_info(ruleset, pol)
    return [_finish(w, kind, region, pol, engine) for w in work]


_FAILED = object()


def _run_judge(live: list[_Work]) -> list[Any]:
    """The learned abuse judge's reading of each text (one encoder pass for
    the batch); None per text where it is unavailable (the profanity scorer
    and rules decide then), ``_FAILED`` where it broke (the toxicity stage
    is then marked failed and the text held)."""
    if not live:
        return []
    from moderation import abuse

    if not abuse.enabled():
        return [None] * len(live)
    try:
        got = abuse.judge_many([w.text for w in live])
        return list(got) if got is not None else [None] * len(live)
    except Exception:
        log.exception("abuse judge batch failed; retrying one at a time")
    out: list[Any] = []
    for w in live:
        try:
            from moderation import abuse

            one = abuse.judge_many([w.text])
            out.append(one[0] if one is not None else None)
        except Exception:
            log.exception("abuse judge failed")
            out.append(_FAILED)
    return out


def _run_crisis(live: list[_Work]) -> None:
    if not live:
        return
    try:
        crisis = importlib.import_module("moderation.crisis")
    except Exception as exc:
        for w in live:
            _fail(w, "crisis", exc)
        return
    try:
        findings = crisis.analyse_many([w.text for w in live])
        if len(findings) != len(live):
            raise RuntimeError("crisis.analyse_many returned the wrong number of findings")
    except Exception:
        # Isolate the text that broke the batch: one bad item must not
        # mark a whole batch of chat messages as errors.
        log.exception("crisis batch failed; retrying one at a time")
        findings = []
        for w in live:
            try:
                findings.append(crisis.analyse(w.text))
            except Exception as exc:
                _fail(w, "crisis", exc)
                findings.append(None)
    for w, f in zip(live, findings):
        if f is None:
            continue
        try:
            _apply_crisis(w, f)
        except Exception as exc:
            _fail(w, "crisis", exc)


def _emergency_verdict(text: Any, exc: BaseException, region: str | None = None) -> Verdict:
    """Last line of defence if the pipeline itself breaks: hold."""
    log.exception("moderation pipeline failed", exc_info=exc)
    try:
        cleaned = clean_text(text) if isinstance(text, str) else ""
    except Exception:
        cleaned = ""
    try:
        # The pipeline cannot rule risk out, so the writer sees gentle signposting.
        signpost = _signposting.build("self", region)
    except Exception:
        signpost = None
    return Verdict(
        action="hold", risk="none", categories=frozenset({"screening_error"}),
        html=f"<p>{_html.escape(cleaned)}</p>" if cleaned else "",
        reasons=(Reason("screening_error", 0, 0, "", "Screening failed; held so a person can check it."),),
        engine={"engine": ENGINE_VERSION, "failed_stages": ["pipeline"]}, text=cleaned, priority="high",
        signposting=signpost,
    )


# -- public API -----------------------------------------------------------------------------

def screen(text: str, *, kind: str = "post", region: str | None = None, profile: Any = None,
           config: ScreeningConfig | None = None) -> Verdict:
    """Screen one text. ``profile``: a board's policy profile name ("strict")
    or a ``policy.Policy``. Never raises."""
    try:
        return _screen_batch([text], kind, region, profile, config)[0]
    except Exception as exc:
        return _emergency_verdict(text, exc, region)


def screen_many(texts: Sequence[str], *, kind: str = "post", region: str | None = None, profile: Any = None,
                config: ScreeningConfig | None = None) -> list[Verdict]:
    """Screen a batch (faster: the crisis model embeds texts together)."""
    texts = list(texts)
    try:
        return _screen_batch(texts, kind, region, profile, config)
    except Exception as exc:
        return [_emergency_verdict(t, exc, region) for t in texts]


def second_opinion(text: str, verdict: Verdict, *, kind: str = "post", region: str | None = None,
                   profile: Any = None) -> Verdict | None:
    """Re-check published text with the full toxicity model (Detoxify).

    The forum runs this in a background job after a fast ``publish``. Returns
    a stricter Verdict when the model finds abuse the fast stages missed,
    otherwise None (also None when Detoxify's weights aren't installed).
    """
    pol = _policy.get(profile)
    source = verdict.text or clean_text(text)
    finding = _toxicity.analyse_with_model(source, threshold=pol.toxicity_threshold)
    if finding is None:
        return None
    new = finding.categories - verdict.categories
    if not new:
        return None
    action, priority = pol.decide(verdict.risk, set(verdict.categories) | new)
    if ACTION_RANK[action] <= ACTION_RANK[verdict.action]:
        return None
    engine = dict(verdict.engine, toxicity_model=finding.scorer, second_opinion=True)
    scores = dict(verdict.scores, toxicity_model=dict(finding.scores, scorer=finding.scorer))
    reasons = tuple(sorted((*verdict.reasons, *(r for r in finding.reasons if r.code in new)),
                           key=lambda r: (r.start, r.end, r.code)))
    return dataclasses.replace(verdict, action=action, priority=priority, categories=verdict.categories | new,
                               reasons=reasons, scores=scores, engine=engine)


def warm_up(*, detoxify: bool = False) -> None:
    """Load rules, helplines and models now rather than on the first post.
    ``detoxify=True`` also loads Detoxify (the background worker wants it;
    the web server usually doesn't)."""
    default_rules()
    _signposting.regions()
    _toxicity.fast_scorer()
    _language.warm_up()
    importlib.import_module("moderation.crisis").warm_up()
    importlib.import_module("moderation.abuse").available()
    if detoxify:
        _toxicity.full_scorer()
    screen("Warming up the moderation engine.")
