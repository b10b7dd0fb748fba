"""The plan for people (Markdown) and for tools (JSON): pools, models, costs, and why."""

from __future__ import annotations

import json
from typing import Any

from loadmaster.plan import Bounds, Plan, PoolPlan
from loadmaster.planner.packing import Placement
from loadmaster.planner.sizing import Counts

COST_DIGITS = 4


def _rounded(value: float | None) -> float | None:
    """A cost or ratio as JSON carries it; None (null) when unknown, never 0."""
    return None if value is None else round(value, COST_DIGITS)


def plan_document(plan: Plan) -> dict[str, Any]:
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
                "instances": _counts(pool.instance_counts, pool.instances),
                "placement": _placement(pool.placement),
                "peak_placement": _placement(pool.peak_placement),
                "notes": list(pool.notes),
            }
            for pool in plan.pools
        ],
        "models": [_component(pool, component) for pool in plan.pools for component in pool.components]
        + [
            {
                "name": endpoint.model,
                "hosting": "dedicated",
                "pool": None,
                "endpoint_name": endpoint.endpoint_name,
                "instance_type": endpoint.instance_type.name,
                "copies": _counts(endpoint.instance_counts, endpoint.instances),  # one copy per instance
                "reasons": list(endpoint.reasons),
                "notes": list(endpoint.notes),
            }
            for endpoint in plan.dedicated
        ],
    }


def _estimated_prices(plan: Plan) -> list[dict[str, Any]]:
    """The instance types the plan uses whose catalog price is an estimate, not a published figure, with its method."""
    used = {instance.name: instance for instance in [pool.instance_type for pool in plan.pools] + [model.instance_type for model in plan.dedicated]}
    return [{"instance_type": name, "price_usd_per_hour": instance.price_usd_per_hour, "source": instance.price_source_title}
            for name, instance in sorted(used.items()) if instance.price_is_estimate]


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2)


def _counts(counts: Counts, bounds: Bounds) -> dict[str, int]:
    return {"min": counts.min, "expected": counts.expected, "peak": counts.peak, "max": bounds.max}


def _placement(placement: Placement) -> list[dict[str, int]]:
    return [dict(instance) for instance in placement]


def _component(pool: PoolPlan, component) -> dict[str, Any]:
    return {
        "name": component.model,
        "hosting": "inference-component",
        "pool": pool.name,
        "component_name": component.component_name,
        "instance_type": pool.instance_type.name,
        "per_copy": {"accelerators": component.accelerators, "memory_mb": component.memory_mb, "cpu_cores": component.cpu_cores},
        "copies": _counts(component.copy_counts, component.copies),
        "reasons": list(component.reasons),
        "notes": list(component.notes),
    }


def render_markdown(plan: Plan) -> str:
    document = plan_document(plan)
    lines = [f"# Plan for {plan.name}", "", f"From `{plan.source}`. Costs in USD per hour, at the catalog's prices.", ""]
    lines += _cost_lines(document)
    lines += [""] + [f"- {note}" for note in document["notes"]] if document["notes"] else []
    lines += _estimated_price_lines(document["estimated_prices"])
    lines += ["", "## Pools", ""]
    for pool in document["pools"]:
        lines += _pool_lines(pool)
    lines += ["## Models", "", "| model | hosting | on | per copy | copies min / expected / peak (max) |", "| --- | --- | --- | --- | --- |"]
    for model in document["models"]:
        lines.append(f"| {model['name']} | {model['hosting']} | {model['pool'] or model['instance_type']} | "
                     f"{_per_copy(model.get('per_copy'))} | {_range(model['copies'])} |")
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


def _estimated_price_lines(estimates: list[dict[str, Any]]) -> list[str]:
    if not estimates:
        return []
    lines = ["", "Estimated prices (not published AWS figures; set `prices:` or run `loadmaster catalog refresh`):"]
    return lines + [f"- {estimate['instance_type']}: {estimate['price_usd_per_hour']:g} USD/h, {estimate['source']}" for estimate in estimates]


def _mean_label(document: dict[str, Any]) -> str:
    floor = document["mean_not_stated"]
    if not floor:
        return "at mean"
    if len(floor) == len(document["models"]):
        return "at the floor (no model states traffic)"
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
