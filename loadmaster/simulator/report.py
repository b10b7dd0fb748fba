"""What a simulation found, for people (Markdown) and for tools (JSON): each model's requests and waits, how fast
its copies followed each load step, each unit's instance-hours, the scaling events, and the run's cost against
the two figures a team compares it with.

- *cost*: what the run's instances cost (each unit's instance-hours at its catalog price, the plan's prices) plus
  what serverless endpoints cost by use, as the simulator counts it (`UnitOutcome.cost_basis`).
- *baseline_cost*: the same traffic on one endpoint per model, as the planner defines its baseline
  (loadmaster.planner.cost): each model alone on its baseline instance type, one instance per copy serving at each
  step of the run (at least one: an endpoint keeps an instance), so it follows the traffic exactly as the plan's
  copies did; serverless endpoints cost the same in both, as in the planner's.
- *plan_estimate_cost*: the plan's hourly cost at mean traffic (`loadmaster plan`'s `hourly_at_mean`) times the
  run's hours: the arithmetic that assumes autoscaling instant and free.
All three count instances (and serverless use) only: storage and data processed are `loadmaster plan`'s bill, the
same with or without the simulation. A price that is unknown makes a cost unknown (null), never zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from loadmaster.plan import Plan
from loadmaster.simulator.model import Result
from loadmaster.simulator.traces import Trace

COST_DIGITS = 2
SECONDS_DIGITS = 1
EVENTS_IN_MARKDOWN = 60  # JSON lists every event; Markdown the first ones, then says how many more


@dataclass(frozen=True)
class RunCosts:
    cost: float | None
    baseline_cost: float | None
    plan_estimate_cost: float | None
    unpriced: tuple[str, ...]  # what has no price: units of the run, models of the baseline, the plan's types


def run_costs(plan: Plan, result: Result) -> RunCosts:
    hours = result.duration_s / 3600
    step_hours = result.step_s / 3600
    unpriced = list(result.unpriced_units)
    baseline: float | None = 0.0
    for endpoint in plan.cost.baseline:
        outcome = result.models.get(endpoint.model)
        if endpoint.price is None or outcome is None:  # no priced baseline type, or a hosting the engine does not run
            unpriced.append(f"baseline of {endpoint.model}" + ("" if outcome else " (not simulated)"))
            baseline = None
        elif baseline is not None:
            copies = result.units[outcome.unit].copies[endpoint.model]
            baseline += endpoint.price * float(np.maximum(copies, 1).sum()) * step_hours
    for usage in plan.cost.usage:  # billed by use: the same endpoint in the baseline as in the plan
        outcome = result.models.get(usage.model)
        cost = result.units[outcome.unit].cost_usd if outcome else None
        baseline = None if baseline is None or cost is None else baseline + cost
    estimate = None if plan.cost.hourly_at_mean is None else plan.cost.hourly_at_mean * hours
    unpriced += [f"plan type {name}" for name in plan.cost.unknown_prices]
    return RunCosts(result.cost_usd, baseline, estimate, tuple(dict.fromkeys(unpriced)))


def simulation_document(plan: Plan, result: Result, trace: Trace, seed: int | None, plots: list[str] = ()) -> dict[str, Any]:
    costs = run_costs(plan, result)
    return {
        "portfolio": plan.name,
        "trace": trace.source,
        "seed": seed,
        "duration_s": result.duration_s,
        "step_s": result.step_s,
        "cost": _rounded(costs.cost, COST_DIGITS),
        "baseline_cost": _rounded(costs.baseline_cost, COST_DIGITS),
        "plan_estimate_cost": _rounded(costs.plan_estimate_cost, COST_DIGITS),
        "unpriced": list(costs.unpriced),
        "cost_basis": ("USD for the run, instances (and serverless use) only, at the plan's prices: cost = each unit's "
                       "instance-hours; baseline_cost = one endpoint per model on its baseline instance type, one instance per "
                       "serving copy at each step (at least one); plan_estimate_cost = the plan's hourly cost at mean traffic x the run's hours"),
        "instance_hours": {key: _rounded(unit.instance_hours, 3) for key, unit in result.units.items()},
        "instance_hours_total": _rounded(result.instance_hours, 3),
        "units": {key: {
            "label": unit.label, "pattern": unit.pattern, "instance_type": unit.instance_type,
            "price_usd_per_hour": unit.price_usd_per_hour, "instance_hours": _rounded(unit.instance_hours, 3),
            "peak_instances": int(unit.instances.max()) if len(unit.instances) else 0,
            "cost": _rounded(unit.cost_usd, COST_DIGITS), "cost_basis": unit.cost_basis,
        } for key, unit in result.units.items()},
        "models": {name: {
            "unit": outcome.unit,
            "served": round(outcome.served), "failed": round(outcome.failed), "waiting_at_end": round(outcome.waiting_at_end),
            "p50_wait_s": _rounded(outcome.p50_wait_s, SECONDS_DIGITS), "p90_wait_s": _rounded(outcome.p90_wait_s, SECONDS_DIGITS),
            "p99_wait_s": _rounded(outcome.p99_wait_s, SECONDS_DIGITS),
            "load_steps_s": list(outcome.load_steps_s),
            "first_scale_out_s": [_rounded(value, SECONDS_DIGITS) for value in outcome.first_scale_out_s],
            "full_capacity_s": [_rounded(value, SECONDS_DIGITS) for value in outcome.full_capacity_s],
        } for name, outcome in result.models.items()},
        "events": [event.document() for event in result.events],
        "notes": [*trace.notes, *result.not_modelled],
        "plots": list(plots),
    }


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def render_markdown(document: dict[str, Any]) -> str:
    lines = [f"# Simulation of {document['portfolio']}: {document['trace']} trace, {document['duration_s'] / 3600:g} h", ""]
    lines += [f"Cost of the run: **{_usd(document['cost'])}**, against {_usd(document['baseline_cost'])} on one endpoint per "
              f"model at the same traffic (baseline) and {_usd(document['plan_estimate_cost'])} by the plan's mean-traffic estimate "
              "(instances and serverless use only, at the plan's prices).", ""]
    if document["unpriced"]:
        lines += [f"Unknown prices (costs that need them are unknown, not zero): {', '.join(document['unpriced'])}.", ""]
    lines += ["## Models", "", "Waits: how long served requests queued; -: none served. Load steps: each time demand jumped, the seconds "
              "until the first scale-out and until the serving copies met it at the target (median and longest; `--format json` "
              "lists each step), and how many steps did not get there before the next step or the end.", "",
              "| model | unit | served | failed | p50 / p90 / p99 wait (s) | load steps: seconds to the first scale-out, to full capacity |",
              "| --- | --- | ---: | ---: | --- | --- |"]
    for name, model in document["models"].items():
        waits = " / ".join(_seconds(model[key]) for key in ("p50_wait_s", "p90_wait_s", "p99_wait_s"))
        steps = _load_steps(model)
        failed = f"{model['failed']:,}" + (f" ({model['waiting_at_end']:,} still waiting at the end)" if model["waiting_at_end"] else "")
        lines.append(f"| {name} | {model['unit']} | {model['served']:,} | {failed} | {waits} | {steps} |")
    lines += ["", "## Instances", "", "| unit | instance type | instance-hours | peak instances | cost | how it is counted |",
              "| --- | --- | ---: | ---: | ---: | --- |"]
    for key, unit in document["units"].items():
        hours = "n/a (billed by use)" if unit["instance_hours"] is None else f"{unit['instance_hours']:,.2f}"
        lines.append(f"| {unit['label']} | {unit['instance_type'] or 'none'} | {hours} | {unit['peak_instances']} | {_usd(unit['cost'])} | {unit['cost_basis']} |")
    events = document["events"]
    lines += ["", f"## Scaling events ({len(events)})", ""]
    if events:
        lines += ["| time | unit | model | event | from -> to | why |", "| --- | --- | --- | --- | ---: | --- |"]
        lines += [f"| {_clock(event['time_s'])} | {event['unit']} | {event['model'] or '(instances)'} | {event['kind']} | "
                  f"{event['from']} -> {event['to']} | {event['why']} |" for event in events[:EVENTS_IN_MARKDOWN]]
        if len(events) > EVENTS_IN_MARKDOWN:
            lines += ["", f"... and {len(events) - EVENTS_IN_MARKDOWN} more (`--format json` lists every event)."]
    else:
        lines.append("None: every target stayed at its count.")
    lines += ["", "## Assumptions", ""] + [f"- {note}" for note in document["notes"]]
    lines.append(f"- {document['cost_basis']}")
    if document["plots"]:
        lines += ["", "Pictures: " + ", ".join(document["plots"])]
    return "\n".join(lines) + "\n"


def _load_steps(model: dict[str, Any]) -> str:
    count = len(model["load_steps_s"])
    if not count:
        return "none"
    parts = [f"{count} at {_clock(model['load_steps_s'][0])}" + (" and after" if count > 1 else "")]
    for label, key in (("scale-out", "first_scale_out_s"), ("full capacity", "full_capacity_s")):
        reached = sorted(value for value in model[key] if value is not None)
        missed = count - len(reached)
        figure = f"{label} {_seconds(reached[len(reached) // 2])} / {_seconds(reached[-1])} s" if reached else f"{label} never"
        parts.append(figure + (f" ({missed} not reached)" if missed and reached else ""))
    return "; ".join(parts)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.2f} USD"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _clock(seconds: float) -> str:
    """Time from the run's start: `14:05:30`, `2d 03:00:00`."""
    whole = int(round(seconds))
    days, rest = divmod(whole, 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}d {text}" if days else text
