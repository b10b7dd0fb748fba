"""`hosting: auto`: the planner chooses among every registered pattern (`loadmaster.hostings.registry`), unless a key
only one hosting has decides it: an `auto` model may write the keys of every hosting, and those it writes pin it.

SageMaker's hosting guidance weighs five fitness functions: cost, inference latency, throughput, scaling
complexity and traffic pattern (FACTS.md, "The seeds' headline figures"); each is written out in the plan for every
`auto` model. Each pattern offers a `Candidate` (what a copy costs on it, or why it cannot host the model); the
cheapest wins, except that a steady model stays on the simplest candidate (fewest scaling levels) when the cheaper
one saves it less than `SIMPLICITY_MARGIN`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from loadmaster.catalog import Catalog
from loadmaster.errors import Problem
from loadmaster.hostings.pattern import SIMPLICITY_MARGIN, Candidate, request_of
from loadmaster.hostings.registry import PATTERNS
from loadmaster.planner.sizing import COLD_START_MS, Demand, concurrency_per_unit
from loadmaster.spec.base import HOSTING_DESCRIPTION, ModelSpec, Scaling

HOSTING = "auto"


class AutoModel(*(pattern.fields for pattern in PATTERNS.values())):  # type: ignore[misc]
    """A model the planner hosts with the pattern the fitness functions choose; it may write every pattern's keys."""

    hosting: Literal["auto"] = Field(description=HOSTING_DESCRIPTION)
    scaling: Scaling | Literal["none"] | None = Field(default=None, description=(
        "Target tracking; a per-copy metric makes the model an inference component, a per-model or per-instance one a dedicated "
        "endpoint; none turns autoscaling off. Default: the hosting's concurrency metric at the planner's target."))


def _own_keys(fields: type[ModelSpec]) -> tuple[str, ...]:
    return tuple(name for name in fields.model_fields if name not in ModelSpec.model_fields)


# Keys only one hosting has, and its scaling metrics: on an `auto` model, writing one of them decides the hosting.
HOSTING_ONLY_FIELDS = {name: _own_keys(pattern.fields) for name, pattern in PATTERNS.items()}
HOSTING_METRICS = {name: pattern.metrics for name, pattern in PATTERNS.items()}


def hosting_pins(model: AutoModel) -> list[tuple[str, str]]:
    """(hosting, field) for each field of an `auto` model that only one hosting has (the scaling metric included)."""
    pins = [(hosting, field) for hosting, fields in HOSTING_ONLY_FIELDS.items() for field in fields if field in model.model_fields_set]
    if isinstance(model.scaling, Scaling):
        pins += [(hosting, "scaling.metric") for hosting, metrics in HOSTING_METRICS.items() if model.scaling.metric in metrics]
    return pins


def pinned_hosting(model: AutoModel) -> str | None:
    """The hosting an `auto` model's own fields decide, or None when they leave it to the planner (or conflict)."""
    hostings = {hosting for hosting, _ in hosting_pins(model)}
    return hostings.pop() if len(hostings) == 1 else None


def auto_problems(where: str, model: AutoModel) -> list[Problem]:
    pins = hosting_pins(model)
    if len({hosting for hosting, _ in pins}) > 1:
        written = ", ".join(f"{field} ({hosting})" for hosting, field in pins)
        return [Problem(f"{where}.hosting", f"auto, but fields of both hostings are written: {written}")]
    if not pins and model.size_gb is None:
        return [Problem(f"{where}.size_gb", "required for hosting: auto (the planner sizes the model from it)")]
    return []


# The choice


@dataclass(frozen=True)
class HostingChoice:
    hosting: str
    reasons: tuple[str, ...]
    weighed: bool = False  # chosen between candidates by cost: the plan restates the cost with its own types (`restated`)
    candidate: Candidate | None = None  # the chosen one, where candidates were weighed


def choose_hosting(model: ModelSpec, demands: dict[str, Demand], catalog: Catalog) -> HostingChoice:
    if model.hosting != "auto":
        return HostingChoice(model.hosting, ("written in the portfolio",))
    pins = hosting_pins(model)
    if pins:
        hosting, field = pins[0]
        return HostingChoice(hosting, (f"auto, decided by `{field}`, which only {hosting} hosting has",))
    candidates = [_within_request_limits(model, pattern.candidate(model, demands, catalog)) for pattern in PATTERNS.values()]
    if not any(candidate.fits for candidate in candidates):
        raise NoHostingFits("no hosting serves it: " + "; ".join(candidate.unfit or candidate.cost for candidate in candidates))
    return weigh(model, candidates)


class NoHostingFits(Exception):
    """No registered pattern can host the model (its request beyond every pattern's limits): the message says why,
    pattern by pattern."""


def _within_request_limits(model: ModelSpec, candidate: Candidate) -> Candidate:
    """The candidate, unfit where its pattern cannot serve the model's `request:` (a 1 GB payload on a real-time
    endpoint, say), saying why."""
    request = request_of(model)
    refusals = PATTERNS[candidate.pattern].request_refusals(request) if request else []
    if not refusals or not candidate.fits:
        return candidate
    why = f"{candidate.pattern}: " + "; ".join(refusals)
    return Candidate(candidate.pattern, why, candidate.scaling_levels, unfit=why)


def weigh(model: ModelSpec, candidates: list[Candidate]) -> HostingChoice:
    """The five fitness functions over `candidates`, and the verdict."""
    pattern = model.traffic.pattern if model.traffic else None
    per_unit = concurrency_per_unit(model)
    by_simplicity = sorted(candidates, key=lambda candidate: candidate.scaling_levels)
    chosen, saving, cost = judged(by_simplicity, pattern)
    others = [candidate for candidate in by_simplicity if candidate is not chosen]
    reasons = (
        cost,
        "inference latency: " + _latency(model),
        "throughput: " + (f"mean {model.traffic.mean_concurrency:g} and peak {model.traffic.peak_concurrency:g} concurrent requests "
                          f"at {per_unit:g} per copy" if model.traffic and per_unit else "no traffic to size from: counted at its floor"),
        "scaling complexity: " + ", ".join(PATTERNS[candidate.pattern].scaling_complexity for candidate in by_simplicity),
        "traffic pattern: " + (pattern or "not stated"),
        PATTERNS[chosen.pattern].verdict(chosen, others, saving, pattern),
    )
    return HostingChoice(chosen.pattern, reasons, weighed=saving is not None, candidate=chosen)


def judged(by_simplicity: list[Candidate], pattern: str | None) -> tuple[Candidate, float | None, str]:
    """The chosen candidate, its saving against the simplest that fits (None: no other fits) and the cost reason."""
    fitting = [candidate for candidate in by_simplicity if candidate.fits]
    simplest = fitting[0]
    savings = {id(candidate): 1 - candidate.hourly / simplest.hourly for candidate in fitting[1:]}
    phrases = [simplest.cost] + [f"{candidate.cost} ({abs(savings[id(candidate)]):.0%} {'less' if savings[id(candidate)] >= 0 else 'more'})"
                                 for candidate in fitting[1:]] + [candidate.cost for candidate in by_simplicity if not candidate.fits]
    cost = "cost: " + "; ".join(phrases)
    if len(fitting) == 1:
        return simplest, None, cost
    cheapest = min(fitting[1:], key=lambda candidate: (candidate.hourly, candidate.instance_type))
    saving = savings[id(cheapest)]
    # The simplest where the others cost more, or where a steady model would save too little to pay for more scaling.
    if saving < 0 or (pattern == "steady" and saving < SIMPLICITY_MARGIN):
        return simplest, saving, cost
    return cheapest, saving, cost


def restated(choice: HostingChoice, offers: list[Candidate], pattern: str | None) -> tuple[str, ...]:
    """A weighed choice's reasons with the cost and the verdict computed from the plan's own instance types
    (`offers`: one per candidate that fit, on the type the plan gives it), so that no number in a reason contradicts
    the plan it explains."""
    by_simplicity = sorted(offers, key=lambda candidate: candidate.scaling_levels)
    _, saving, cost = judged(by_simplicity, pattern)
    chosen = next(candidate for candidate in offers if candidate.pattern == choice.hosting)
    others = [candidate for candidate in by_simplicity if candidate is not chosen]
    return (cost,) + choice.reasons[1:-1] + (PATTERNS[choice.hosting].verdict(chosen, others, saving, pattern),)


def _latency(model: ModelSpec) -> str:
    if model.latency_slo_ms is None:
        return "no objective stated: latency rules out no hosting"
    if model.latency_slo_ms < COLD_START_MS:
        return f"{model.latency_slo_ms} ms objective is shorter than a cold start from zero (about 5 min): at least one copy stays warm"
    return f"{model.latency_slo_ms} ms objective tolerates a cold start from zero (about 5 min)"
