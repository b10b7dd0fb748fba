"""`hosting: auto`: inference component on a shared endpoint, or a dedicated endpoint, and why.

SageMaker's hosting guidance weighs five fitness functions: cost, inference latency, throughput, scaling
complexity and traffic pattern (FACTS.md, "The seeds' headline figures"). They pick among real-time,
serverless, asynchronous and batch inference; loadmaster hosts models in real time, so here they pick
between the two real-time forms, and each one is written out in the plan for every `auto` model. Only types reported
to take inference components count for sharing (`InstanceType.hosts_inference_components`).
"""

from __future__ import annotations

from dataclasses import dataclass

from loadmaster.catalog import NO_INFERENCE_COMPONENT_FAMILIES, Catalog
from loadmaster.hostings.auto import hosting_pins
from loadmaster.planner.sizing import COLD_START_MS, Demand, concurrency_per_unit
from loadmaster.spec.base import ModelSpec

INFERENCE_COMPONENT = "inference-component"
DEDICATED = "dedicated"
# A steady model goes dedicated, the simpler hosting, when sharing an instance would save it less than this.
# Our judgement, not an AWS figure: below it the saving does not pay for a second level of scaling.
SIMPLICITY_MARGIN = 0.02


@dataclass(frozen=True)
class HostingChoice:
    hosting: str
    reasons: tuple[str, ...]
    weighed: bool = False  # chosen by the fitness functions: the plan restates the cost with its own types (`restated`)


def choose_hosting(model: ModelSpec, demands: dict[str, Demand], catalog: Catalog) -> HostingChoice:
    if model.hosting != "auto":
        return HostingChoice(model.hosting, ("written in the portfolio",))
    pins = hosting_pins(model)
    if pins:
        hosting, field = pins[0]
        return HostingChoice(hosting, (f"auto, decided by `{field}`, which only {hosting} hosting has",))
    return _weigh_fitness(model, demands, catalog)


def cheapest_alone(demands: dict[str, Demand], catalog: Catalog) -> str:
    """The cheapest instance type that holds one copy: a dedicated endpoint's type (ties: by name)."""
    return min(demands, key=lambda name: (catalog[name].price_usd_per_hour, name))


def cheapest_share(demands: dict[str, Demand], catalog: Catalog) -> tuple[str, float] | None:
    """The instance type on which a copy's share (its largest fraction of any resource) costs least, and that cost;
    None when none of the types takes inference components."""
    shares = [(name, catalog[name].price_usd_per_hour * demand.share_of(catalog[name]))
              for name, demand in demands.items() if catalog[name].hosts_inference_components]
    return min(shares, key=lambda pair: (pair[1], pair[0])) if shares else None


def _weigh_fitness(model: ModelSpec, demands: dict[str, Demand], catalog: Catalog) -> HostingChoice:
    alone = cheapest_alone(demands, catalog)
    alone_price = catalog[alone].price_usd_per_hour
    share = cheapest_share(demands, catalog)
    pattern = model.traffic.pattern if model.traffic else None
    per_unit = concurrency_per_unit(model)
    if share is None:
        hosting, saving, weighed = DEDICATED, None, False  # nothing shared to restate from the plan
        cost = (f"cost: alone, a copy takes a whole {alone} ({alone_price:.3f} USD/h); no instance type it runs on takes inference "
                f"components (the families {', '.join(sorted(NO_INFERENCE_COMPONENT_FAMILIES))} are reported not to)")
    else:
        shared, shared_price = share
        saving = 1 - shared_price / alone_price
        # Dedicated where sharing costs more (the cheapest type alone takes no inference components: ml.c5, say), or
        # where a steady model would save too little to pay for a second level of scaling.
        hosting = DEDICATED if saving < 0 or (pattern == "steady" and saving < SIMPLICITY_MARGIN) else INFERENCE_COMPONENT
        cost, weighed = cost_reason(alone, alone_price, shared, shared_price, demands[shared].share_of(catalog[shared])), True
    reasons = (
        cost,
        "inference latency: " + _latency(model),
        "throughput: " + (f"mean {model.traffic.mean_concurrency:g} and peak {model.traffic.peak_concurrency:g} concurrent requests "
                          f"at {per_unit:g} per copy" if model.traffic and per_unit else "no traffic to size from: counted at its floor"),
        "scaling complexity: a dedicated endpoint scales one level (instances), an inference component two (copies, then instances)",
        "traffic pattern: " + (pattern or "not stated"),
        chosen_reason(hosting, pattern, saving, alone),
    )
    return HostingChoice(hosting, reasons, weighed=weighed)


def cost_reason(alone: str, alone_price: float, shared: str, shared_price: float, share: float) -> str:
    """The cost fitness function, from the figures of one instance type alone and one shared."""
    saving = 1 - shared_price / alone_price
    return (f"cost: alone, a copy takes a whole {alone} ({alone_price:.3f} USD/h); shared, its share of {shared} "
            f"({share:.0%} of its busiest resource) costs {shared_price:.3f} USD/h ({abs(saving):.0%} {'less' if saving >= 0 else 'more'})")


def chosen_reason(hosting: str, pattern: str | None, saving: float | None, alone: str) -> str:
    """The verdict; `saving` is None when no type the model runs on takes inference components."""
    if saving is None:
        return f"chosen: {DEDICATED}, no instance type it runs on takes inference components"
    if hosting == DEDICATED and saving < 0:
        return f"chosen: {DEDICATED}, a copy alone on {alone} costs less than its share of any type that takes inference components"
    if hosting == DEDICATED:
        return f"chosen: {DEDICATED}, steady traffic and sharing saves under {SIMPLICITY_MARGIN:.0%}: the simpler scaling wins"
    if saving >= SIMPLICITY_MARGIN:
        return f"chosen: {INFERENCE_COMPONENT}, sharing instances saves money"
    if pattern == "steady":  # weighed on its cheapest share, then packed on a type where its share saves less
        return (f"chosen: {INFERENCE_COMPONENT}, steady traffic and a share estimated to save {SIMPLICITY_MARGIN:.0%} or more "
                f"on the type where it is cheapest; on its pool's type it saves {saving:.0%}")
    return f"chosen: {INFERENCE_COMPONENT}, {pattern or 'unstated'} traffic scales by the copy"


def restated(choice: HostingChoice, alone: str, alone_price: float, shared: str, shared_price: float,
             share: float, pattern: str | None) -> tuple[str, ...]:
    """A weighed choice's reasons with the cost and the verdict computed from the plan's own instance types, so that
    no number in a reason contradicts the plan it explains."""
    saving = 1 - shared_price / alone_price
    return (cost_reason(alone, alone_price, shared, shared_price, share),) + choice.reasons[1:-1] + (chosen_reason(choice.hosting, pattern, saving, alone),)


def _latency(model: ModelSpec) -> str:
    if model.latency_slo_ms is None:
        return "no objective stated; both hostings are real-time endpoints on reserved instances"
    if model.latency_slo_ms < COLD_START_MS:
        return f"{model.latency_slo_ms} ms objective is shorter than a cold start from zero (about 5 min): at least one copy stays warm"
    return f"{model.latency_slo_ms} ms objective tolerates a cold start from zero (about 5 min)"
