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
from loadmaster.planner.sizing import COLD_START_MS, Demand, concurrency_per_unit
from loadmaster.portfolio import ModelSpec, hosting_pins

INFERENCE_COMPONENT = "inference-component"
DEDICATED = "dedicated"
# A steady model goes dedicated, the simpler hosting, when sharing an instance would save it less than this.
# Our judgement, not an AWS figure: below it the saving does not pay for a second level of scaling.
SIMPLICITY_MARGIN = 0.02


@dataclass(frozen=True)
class HostingChoice:
    hosting: str
    reasons: tuple[str, ...]


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
    cost = f"cost: alone, a copy takes a whole {alone} ({alone_price:.3f} USD/h); "
    if share is None:
        cost += f"no instance type it runs on takes inference components (the families {', '.join(sorted(NO_INFERENCE_COMPONENT_FAMILIES))} are reported not to)"
        chosen = f"{DEDICATED}, no instance type it runs on takes inference components"
    else:
        shared, shared_price = share
        saving = 1 - shared_price / alone_price
        cost += f"shared, its share of {shared} costs {shared_price:.3f} USD/h ({abs(saving):.0%} {'less' if saving >= 0 else 'more'})"
        if saving < 0:
            # Only where the cheapest type alone does not take inference components: a CPU type of ml.c5, say.
            chosen = f"{DEDICATED}, a copy alone on {alone} costs less than its share of any type that takes inference components"
        elif pattern == "steady" and saving < SIMPLICITY_MARGIN:
            chosen = f"{DEDICATED}, steady traffic and sharing saves under {SIMPLICITY_MARGIN:.0%}: the simpler scaling wins"
        else:
            chosen = f"{INFERENCE_COMPONENT}, " + ("sharing instances saves money" if saving >= SIMPLICITY_MARGIN else f"{pattern or 'unstated'} traffic scales by the copy")
    reasons = (
        cost,
        "inference latency: " + _latency(model),
        "throughput: " + (f"mean {model.traffic.mean_concurrency:g} and peak {model.traffic.peak_concurrency:g} concurrent requests "
                          f"at {per_unit:g} per copy" if model.traffic and per_unit else "no traffic stated: one copy"),
        "scaling complexity: a dedicated endpoint scales one level (instances), an inference component two (copies, then instances)",
        "traffic pattern: " + (pattern or "not stated"),
        "chosen: " + chosen,
    )
    return HostingChoice(DEDICATED if chosen.startswith(DEDICATED) else INFERENCE_COMPONENT, reasons)


def _latency(model: ModelSpec) -> str:
    if model.latency_slo_ms is None:
        return "no objective stated; both hostings are real-time endpoints on reserved instances"
    if model.latency_slo_ms < COLD_START_MS:
        return f"{model.latency_slo_ms} ms objective is shorter than a cold start from zero (about 5 min): at least one copy stays warm"
    return f"{model.latency_slo_ms} ms objective tolerates a cold start from zero (about 5 min)"
