"""The plan for people (Markdown) and for tools (JSON): pools, models, costs, and why."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from loadmaster.hostings.pattern import counts_document
from loadmaster.plan import Plan
from loadmaster.catalog import HOURS_PER_MONTH
from loadmaster.planner.bill import SavingsPlanRate, savings_plan_advice

if TYPE_CHECKING:
    from loadmaster.planner.packing import Placement

COST_DIGITS = 4


def _rounded(value: float | None) -> float | None:
    """A cost or ratio as JSON carries it; None (null) when unknown, never 0."""
    return None if value is None else round(value, COST_DIGITS)


def plan_document(plan: Plan, savings_plan: SavingsPlanRate | None = None) -> dict[str, Any]:
    return _plan_cost_document(plan) | _bill_document(plan, savings_plan)


def _bill_document(plan: Plan, savings_plan: SavingsPlanRate | None) -> dict[str, Any]:
    """The bill's parts for the plan and the baseline, and the Savings Plans advice when asked for."""
    if plan.bill is None:
        return {}
    document: dict[str, Any] = {"bill": {"plan": plan.bill.plan.document(), "baseline": plan.bill.baseline.document()}}
    if savings_plan is not None:
        document["savings_plan"] = savings_plan_advice(plan.bill, savings_plan).document()
    return document


def _plan_cost_document(plan: Plan) -> dict[str, Any]:
    cost = plan.cost
    return {
        "portfolio": plan.name,
        "source": plan.source,
        "region": plan.region,
        "currency": "USD",
        # Plan and baseline at the same traffic; the first four keys are the figures at mean, kept for the tools that read them.
        "hourly_cost": _rounded(cost.hourly_at_mean),
        "peak_hourly_cost": _rounded(cost.hourly_at_peak),
        "baseline_hourly_cost": _rounded(cost.baseline_hourly_at_mean),
        "savings_ratio": _rounded(cost.savings_ratio_at_mean),
        "hourly_at_mean": _rounded(cost.hourly_at_mean),
        "hourly_at_peak": _rounded(cost.hourly_at_peak),
        "baseline_hourly_at_mean": _rounded(cost.baseline_hourly_at_mean),
        "baseline_hourly_at_peak": _rounded(cost.baseline_hourly_at_peak),
        "savings_ratio_at_mean": _rounded(cost.savings_ratio_at_mean),
        "savings_ratio_at_peak": _rounded(cost.savings_ratio_at_peak),
        "lower_bound_hourly_cost": _rounded(cost.lower_bound_hourly),
        "unknown_prices": list(cost.unknown_prices),
        "mean_not_stated": list(cost.mean_not_stated),  # models counted at their floor at mean, for want of traffic
        "notes": list(plan.notes),
        "estimated_prices": _estimated_prices(plan),
        "warnings": [{"location": warning.location, "message": warning.message} for warning in plan.warnings],
        "baseline": [
            {"model": endpoint.model, "instance_type": endpoint.instance_type, "price_usd_per_hour": endpoint.price,
             "instances_at_mean": endpoint.instances_at_mean, "instances_at_peak": endpoint.instances_at_peak,
             "hourly_at_mean": _rounded(endpoint.hourly_at_mean), "hourly_at_peak": _rounded(endpoint.hourly_at_peak)}
            for endpoint in cost.baseline
        ],
        "pools": [
            {
                "name": pool.name,
                "endpoint_name": pool.endpoint_name,
                "instance_type": pool.instance_type.name,
                "price_usd_per_hour": pool.instance_type.price_usd_per_hour,
                "instances": counts_document(pool.instance_counts, pool.instances),
                "placement": _placement(pool.placement),
                "peak_placement": _placement(pool.peak_placement),
                "notes": list(pool.notes),
            }
            for pool in plan.pools
        ],
        "models": [model for unit in plan.units for model in unit.model_documents()],
    }


def _estimated_prices(plan: Plan) -> list[dict[str, Any]]:
    """The instance types the plan uses whose catalog price is an estimate, not a published figure, with its method."""
    used = {charge.instance_type.name: charge.instance_type for unit in plan.units for charge in unit.charges()}
    return [{"instance_type": name, "price_usd_per_hour": instance.price_usd_per_hour, "source": instance.price_source_title}
            for name, instance in sorted(used.items()) if instance.price_is_estimate]


def render_json(plan: Plan, savings_plan: SavingsPlanRate | None = None) -> str:
    return json.dumps(plan_document(plan, savings_plan), indent=2)


def _placement(placement: Placement) -> list[dict[str, int]]:
    return [dict(instance) for instance in placement]


def render_markdown(plan: Plan, savings_plan: SavingsPlanRate | None = None) -> str:
    document = plan_document(plan, savings_plan)
    lines = [f"# Plan for {plan.name}", "", f"From `{plan.source}`. Costs in USD per hour, at the catalog's prices.", ""]
    lines += _cost_lines(document)
    lines += _bill_lines(document)
    lines += [""] + [f"- {note}" for note in document["notes"]] if document["notes"] else []
    lines += _estimated_price_lines(document["estimated_prices"])
    lines += ["", "## Pools", ""]
    for pool in document["pools"]:
        lines += _pool_lines(pool)
    lines += ["## Models", "", "| model | hosting | on | per copy | copies min / expected / peak (max) |", "| --- | --- | --- | --- | --- |"]
    for model in document["models"]:
        # A model without instances (billed by use) says what it runs on in `on` and has no copies.
        lines.append(f"| {model['name']} | {model['hosting']} | {model['pool'] or model['instance_type'] or model['on']} | "
                     f"{_per_copy(model.get('per_copy'))} | {_range(model['copies']) if 'copies' in model else 'none: billed by use'} |")
    lines += ["", "## Baseline: one endpoint per model", "",
              "| model | instance type | USD/h each | instances at mean | at peak | USD/h at mean | at peak |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {endpoint['model']} | {endpoint['instance_type'] or 'none priced holds a copy'} | {_usd(endpoint['price_usd_per_hour'])} | "
              f"{endpoint['instances_at_mean']} | {endpoint['instances_at_peak']} | {_usd(endpoint['hourly_at_mean'])} | {_usd(endpoint['hourly_at_peak'])} |"
              for endpoint in document["baseline"]]
    lines += ["", "## Why", ""]
    for model in document["models"]:
        lines.append(f"**{model['name']}**: {model['hosting']}")
        lines += [f"- {line}" for line in model["reasons"] + model["notes"]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cost_lines(document: dict[str, Any]) -> list[str]:
    bound, plan = document["lower_bound_hourly_cost"], document["hourly_at_mean"]
    return [
        "| traffic | plan | baseline: one endpoint per model | savings ratio (baseline / plan) |",
        "| --- | ---: | ---: | ---: |",
        f"| {_mean_label(document)} | {_usd(plan)} | {_usd(document['baseline_hourly_at_mean'])} | {_times(document['savings_ratio_at_mean'])} |",
        f"| at peak | {_usd(document['hourly_at_peak'])} | {_usd(document['baseline_hourly_at_peak'])} | {_times(document['savings_ratio_at_peak'])} |",
        "",
        f"Lower bound (LP relaxation of the packing at mean traffic): {_usd(bound)}; plan / lower bound: "
        f"{f'{plan / bound:.3f}' if plan is not None and bound else 'n/a'}.",
    ]


def _bill_lines(document: dict[str, Any]) -> list[str]:
    if "bill" not in document:
        return []
    plan, baseline = document["bill"]["plan"], document["bill"]["baseline"]
    references: list[str] = []  # each source once, cited by number in the table

    def cited(sources: list[dict[str, Any]]) -> str:
        for source in sources:
            described = _described(source)
            if described not in references:
                references.append(described)
        return ", ".join(dict.fromkeys(f"[{references.index(_described(source)) + 1}]" for source in sources)) or "n/a"

    lines = ["", "### The whole bill", "", "| part | plan at mean | at peak | per month at mean | baseline at mean | at peak | sources |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for part, base in zip(plan["parts"], baseline["parts"]):
        lines.append(f"| {part['part']} | {_usd(part['hourly_at_mean'])} | {_usd(part['hourly_at_peak'])} | {_usd(part['monthly_at_mean'])} | "
                     f"{_usd(base['hourly_at_mean'])} | {_usd(base['hourly_at_peak'])} | {cited(part['sources'] + base['sources'])} |")
    lines.append(f"| **total** | {_partial(plan, 'hourly_at_mean')} | {_partial(plan, 'hourly_at_peak')} | {_partial(plan, 'monthly_at_mean')} | "
                 f"{_partial(baseline, 'hourly_at_mean')} | {_partial(baseline, 'hourly_at_peak')} | |")
    lines += [""] + [f"- {part['part']}: {part['basis']}" + (f"; **not counted**: {part['not_counted']}" if part["not_counted"] else "")
                     for part in plan["parts"]]
    if plan["not_counted"] or baseline["not_counted"]:
        missing = sorted(set(plan["not_counted"]) | set(baseline["not_counted"]))
        lines.append(f"- Totals marked \"at least\" leave out {', '.join(missing)}: unknown, never counted as 0.")
    lines += [""] + [f"[{number}] {reference}" for number, reference in enumerate(references, start=1)]
    return lines + _savings_plan_lines(document.get("savings_plan"))


def _described(source: dict[str, Any]) -> str:
    where = ", ".join(str(value) for value in (source["region"], source["date"]) if value)
    return (source["title"] + (f" ({where})" if where else "") + (f", {source['url']}" if source["url"] else "")
            + (" *unverified*" if source["unverified"] else ""))


def _savings_plan_lines(advice: dict[str, Any] | None) -> list[str]:
    if advice is None:
        return []
    source = advice["rate_source"]
    return ["", f"### SageMaker Savings Plans, {advice['term']}", "",
            f"- Commit **{_usd(advice['commitment_usd_per_hour'])} USD/h**: what runs all the time ({advice['always_on']}), "
            f"{_usd(advice['always_on_on_demand_hourly'])} USD/h on demand, at {advice['discount'] * 100:g}% off.",
            f"- Effective cost at mean traffic: {_effective(advice, 'at_mean')} USD/h; at peak: {_effective(advice, 'at_peak')} USD/h "
            f"({advice['covers']}).",
            f"- Break-even utilisation: {advice['break_even_utilisation'] * 100:.0f}% of hours (Savings Plans rate / on-demand rate): "
            "committed capacity used less than that costs more than on demand.",
            f"- Rate: {source['title']}" + (f", {source['url']}" if source["url"] else "") + (f", {source['date']}" if source["date"] else "")
            + (" (*unverified*: set `--savings-plan-discount PERCENT` to your rate)" if source["unverified"] else "") + "."]


def _effective(advice: dict[str, Any], level: str) -> str:
    """The effective cost, or "at least" that of the known parts, or unknown when the instances' is."""
    whole, counted = advice[f"effective_hourly_{level}"], advice[f"effective_counted_hourly_{level}"]
    return _usd(whole) if whole is not None or counted is None else f"at least {_usd(counted)}"


def _partial(side: dict[str, Any], key: str) -> str:
    """A total, or "at least" the known parts when one is unknown."""
    if side[key] is not None:
        return _usd(side[key])
    counted = side["counted_hourly_at_mean"] * HOURS_PER_MONTH if key == "monthly_at_mean" else side["counted_" + key]
    return f"at least {_usd(counted)}"


def _estimated_price_lines(estimates: list[dict[str, Any]]) -> list[str]:
    if not estimates:
        return []
    lines = ["", "Estimated prices (not published AWS figures; set `prices:` or run `loadmaster catalog refresh`):"]
    return lines + [f"- {estimate['instance_type']}: {estimate['price_usd_per_hour']:g} USD/h, {estimate['source']}" for estimate in estimates]


# Up to this many models counted at their floor are named in the cost table's row; more are counted (the notes name them).
NAMED_AT_THE_FLOOR = 5


def _mean_label(document: dict[str, Any]) -> str:
    floor = document["mean_not_stated"]
    if not floor:
        return "at mean"
    if len(floor) == len(document["models"]):
        return "at the floor (no model states traffic)"
    if len(floor) > NAMED_AT_THE_FLOOR:
        return f"at mean ({len(floor)} of {len(document['models'])} models at the floor: no traffic stated, see the notes)"
    return f"at mean ({', '.join(floor)} at the floor: no traffic stated)"


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2f}"


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"**{ratio:.2f}x**"


def _pool_lines(pool: dict[str, Any]) -> list[str]:
    instances = pool["instances"]
    lines = [
        f"### {pool['name']} (endpoint `{pool['endpoint_name']}`)",
        "",
        f"{pool['instance_type']}, instances min / expected / peak (max): {_range(instances)}",
        "",
    ]
    if pool["placement"]:
        lines += ["| instance | copies sharing it at mean traffic |", "| ---: | --- |"]
        lines += [f"| {number} | {', '.join(f'{model} x{copies}' for model, copies in instance.items())} |"
                  for number, instance in enumerate(pool["placement"], start=1)]
        lines.append("")
    lines += [f"- {note}" for note in pool["notes"]]
    return lines + ([""] if pool["notes"] else [])


def _range(counts: dict[str, int]) -> str:
    return f"{counts['min']} / {counts['expected']} / {counts['peak']} ({counts['max']})"


def _per_copy(per_copy: dict[str, Any] | None) -> str:
    if per_copy is None:
        return "whole instance"
    cpu = f", {per_copy['cpu_cores']:g} CPU" if per_copy["cpu_cores"] is not None else ""
    return f"{per_copy['accelerators']} accel, {per_copy['memory_mb']} MB{cpu}"
