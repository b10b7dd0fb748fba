"""`hosting: auto`: every registered pattern's candidate for a model under the same traffic, and the choice.

SageMaker's hosting guidance weighs five fitness functions: cost, inference latency, throughput, scaling
complexity and traffic pattern (FACTS.md, "The seeds' headline figures"); each is written out in the plan for every
`auto` model. Each pattern of `loadmaster.hostings.registry` offers a `Candidate` (what a copy costs on it, or why
it cannot host the model); the cheapest wins, except that a steady model stays on the simplest candidate (fewest
scaling levels) when the cheaper one saves it less than `SIMPLICITY_MARGIN`.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadmaster.catalog import Catalog
from loadmaster.hostings.pattern import SIMPLICITY_MARGIN, Candidate
from loadmaster.hostings.registry import PATTERNS
from loadmaster.planner.sizing import COLD_START_MS, Demand, concurrency_per_unit
from loadmaster.portfolio import ModelSpec, hosting_pins


@dataclass(frozen=True)
class HostingChoice:
    hosting: str
    reasons: tuple[str, ...]
    weighed: bool = False  # chosen between candidates by cost: the plan restates the cost with its own types (`restated`)


def choose_hosting(model: ModelSpec, demands: dict[str, Demand], catalog: Catalog) -> HostingChoice:
    if model.hosting != "auto":
        return HostingChoice(model.hosting, ("written in the portfolio",))
    pins = hosting_pins(model)
    if pins:
        hosting, field = pins[0]
        return HostingChoice(hosting, (f"auto, decided by `{field}`, which only {hosting} hosting has",))
    return weigh(model, [pattern.candidate(model, demands, catalog) for pattern in PATTERNS.values()])


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
    return HostingChoice(chosen.pattern, reasons, weighed=saving is not None)


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
        return "no objective stated; both hostings are real-time endpoints on reserved instances"
    if model.latency_slo_ms < COLD_START_MS:
        return f"{model.latency_slo_ms} ms objective is shorter than a cold start from zero (about 5 min): at least one copy stays warm"
    return f"{model.latency_slo_ms} ms objective tolerates a cold start from zero (about 5 min)"
