"""The plan for people (Markdown) and for tools (JSON): pools, models, costs, and why."""

from __future__ import annotations

import json
from typing import Any

from loadmaster.plan import Bounds, Plan, PoolPlan
from loadmaster.planner.packing import Placement
from loadmaster.planner.sizing import Counts

COST_DIGITS = 4


def plan_document(plan: Plan) -> dict[str, Any]:
    cost = plan.cost
    return {
        "portfolio": plan.name,
        "source": plan.source,
        "region": plan.region,
        "currency": "USD",
        "hourly_cost": round(cost.hourly, COST_DIGITS),
        "peak_hourly_cost": round(cost.peak_hourly, COST_DIGITS),
        "baseline_hourly_cost": round(cost.baseline_hourly, COST_DIGITS),
        "lower_bound_hourly_cost": None if cost.lower_bound_hourly is None else round(cost.lower_bound_hourly, COST_DIGITS),
        "savings_ratio": None if cost.savings_ratio is None else round(cost.savings_ratio, COST_DIGITS),
        "notes": list(plan.notes),
        "baseline": [
            {"model": endpoint.model, "instance_type": endpoint.instance_type, "instances": endpoint.instances, "hourly_cost": round(endpoint.hourly, COST_DIGITS)}
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
    lines += [f"- {note}" for note in document["notes"]]
    lines += ["", "## Pools", ""]
    for pool in document["pools"]:
        lines += _pool_lines(pool)
    lines += ["## Models", "", "| model | hosting | on | per copy | copies min / expected / peak (max) |", "| --- | --- | --- | --- | --- |"]
    for model in document["models"]:
        lines.append(f"| {model['name']} | {model['hosting']} | {model['pool'] or model['instance_type']} | "
                     f"{_per_copy(model.get('per_copy'))} | {_range(model['copies'])} |")
    lines += ["", "## Baseline: one endpoint per model", "", "| model | instance type | instances at peak | USD/h |", "| --- | --- | ---: | ---: |"]
    lines += [f"| {endpoint['model']} | {endpoint['instance_type']} | {endpoint['instances']} | {endpoint['hourly_cost']:.2f} |" for endpoint in document["baseline"]]
    lines += ["", "## Why", ""]
    for model in document["models"]:
        lines.append(f"**{model['name']}**: {model['hosting']}")
        lines += [f"- {line}" for line in model["reasons"] + model["notes"]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cost_lines(document: dict[str, Any]) -> list[str]:
    hourly, baseline, bound = document["hourly_cost"], document["baseline_hourly_cost"], document["lower_bound_hourly_cost"]
    ratio = document["savings_ratio"]
    return [
        "| | USD/h |",
        "| --- | ---: |",
        f"| plan at mean traffic | {hourly:.2f} |",
        f"| plan at peak traffic | {document['peak_hourly_cost']:.2f} |",
        f"| baseline: one endpoint per model, provisioned for its peak | {baseline:.2f} |",
        f"| lower bound: LP relaxation of the packing at mean traffic | {'n/a' if bound is None else f'{bound:.2f}'} |",
        "",
        f"Savings ratio (baseline / plan): **{'n/a' if ratio is None else f'{ratio:.2f}x'}**. "
        f"Plan / lower bound: {'n/a' if not bound else f'{hourly / bound:.3f}'}.",
    ]


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
