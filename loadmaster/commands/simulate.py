"""`loadmaster simulate PORTFOLIO --trace TRACE [--duration D] [--seed S] [--format markdown|json] [--plot DIR]`:
replay traffic against the plan's scaling policies and read the waits, failures, scaling events and cost."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from loadmaster.commands import add_catalog_argument, add_portfolio_argument, add_replan_argument, catalog_of, print_warnings
from loadmaster.errors import PortfolioError, Problem
from loadmaster.planner.make import plan_file
from loadmaster.progress import ProgressBar
from loadmaster.simulator import ParameterError, Parameters, service_time_s_of, simulate, simulated_models
from loadmaster.simulator.traces import PRESETS, parse_duration, preset_trace, read_trace
from loadmaster.simulator.report import render_json, render_markdown, simulation_document
from loadmaster.spec.load import load_portfolio

RENDERERS = {"markdown": render_markdown, "json": render_json}
DEFAULT_PRESET_DURATION = "24h"


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "simulate",
        help="replay traffic against the plan's autoscaling: waits, failed requests, scaling events and what the run costs",
        description="Replay a trace against exactly the scaling policies the stacks deploy (the plan's), with the service's "
        "documented alarms, cooldowns, copy placement and instance provisioning, and show per model the requests served and "
        "failed, the p50/p90/p99 wait, the time from each load step to the first scale-out and to full capacity; per unit its "
        "instance-hours; the scaling events; and the run's cost against the same traffic on one endpoint per model "
        "(baseline_cost) and against the plan's mean-traffic estimate for the same hours (plan_estimate_cost).",
        epilog="Trace CSV: a header of timestamp,model,concurrency or timestamp,model,requests_per_s, then one row per change, "
        "sorted by time; a timestamp is seconds from the start or an ISO 8601 time with its zone (2026-12-01T14:00:00Z); a "
        "value holds until the model's next row. requests_per_s becomes concurrency by Little's law at the model's service time "
        "(its latency_slo_ms, else 1 s; --set service_time_s=S overrides it). A bad row ends the command with exit 2 and one line "
        "naming the file and line.",
    )
    add_portfolio_argument(parser)
    parser.add_argument("--trace", required=True, metavar="TRACE",
                        help=f"a preset scaled to each model's traffic ({', '.join(PRESETS)}) or a CSV file (see below)")
    parser.add_argument("--duration", type=_duration, default=None, metavar="D",
                        help=f"how long to simulate, such as 90m, 24h, 7d or 1w (default: {DEFAULT_PRESET_DURATION} for a preset, "
                        "until one step after the last row for a CSV)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="the random seed of a preset's request noise: the same seed gives the same run (default: 0)")
    parser.add_argument("--format", choices=sorted(RENDERERS), default="markdown", help="markdown for people (default), json for tools")
    parser.add_argument("--plot", type=Path, default=None, metavar="DIR",
                        help="also write one PNG per pool and endpoint into DIR (created if new; other files there are left "
                        "alone, a picture of the same name replaced): demand, copies and instances over time, scaling events marked")
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE",
                        help="override a simulation parameter, such as model_download_s=300, models.chat.service_time_s=0.5 "
                        "or pools.a10g-pool.instance_provisioning_s=240 (repeatable; an unknown key lists the known ones)")
    add_catalog_argument(parser)
    add_replan_argument(parser, "simulate")
    parser.set_defaults(run=run)


def _duration(text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(arguments: argparse.Namespace) -> int:
    if arguments.plot is not None:
        from loadmaster.simulator.plots import check_folder

        check_folder(arguments.plot)  # before the work, not after
    catalog = catalog_of(arguments)
    models = load_portfolio(arguments.portfolio, catalog).models
    parameters = _parameters(arguments.overrides, models)
    services = {model.name: parameters.model(model.name).service_time_s for model in models}
    if arguments.trace in PRESETS:
        # A preset is scaled to the traffic of the models the engine serves; those of patterns it does not simulate
        # (batch transform, say) need none, so the plan comes first.
        plan = plan_file(arguments.portfolio, catalog, replan=arguments.replan)
        duration = arguments.duration or parse_duration(DEFAULT_PRESET_DURATION)
        simulated = simulated_models(plan)
        trace = preset_trace(arguments.trace, [model for model in models if model.name in simulated], str(arguments.portfolio), duration,
                             arguments.seed, parameters.step_s, services)
    else:
        trace = read_trace(Path(arguments.trace), models, arguments.duration, parameters.step_s, services)
        plan = plan_file(arguments.portfolio, catalog, replan=arguments.replan)  # after the trace: a bad one ends the command sooner
    print_warnings(plan)
    with ProgressBar("simulating") as bar:
        result = simulate(plan, trace.demand, parameters, progress=bar.update)
    plots = []
    if arguments.plot is not None:
        from loadmaster.simulator.plots import write_plots

        plots = [str(path) for path in write_plots(result, arguments.plot)]
    seed = arguments.seed if arguments.trace in PRESETS else None
    print(RENDERERS[arguments.format](simulation_document(plan, result, trace, seed, plots)), end="")
    return 0


def _parameters(overrides: list[str], models) -> Parameters:
    """The simulation's parameters with the `--set` overrides, each model's service time filled in (its own override,
    else `service_time_s_of` its latency objective)."""
    tree: dict = {}
    for override in overrides:
        key, equals, value = override.partition("=")
        if not equals or not key:
            raise PortfolioError("--set", [Problem(override, "expected KEY=VALUE, such as model_download_s=300")])
        *parents, leaf = _path(key)
        node = tree
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = _number(value, override)
    try:
        parameters = Parameters().overridden(tree)
    except ParameterError as error:
        raise PortfolioError("--set", [Problem("", str(error))]) from None
    unknown = sorted(set(tree.get("models", {})) - {model.name for model in models})
    if unknown:
        raise PortfolioError("--set", [Problem(f"models.{unknown[0]}", "no such model in the portfolio")])
    filled = {model.name: replace(parameters.model(model.name), service_time_s=parameters.model(model.name).service_time_s
                                  or service_time_s_of(model.latency_slo_ms)) for model in models}
    return replace(parameters, models=filled)


def _path(key: str) -> list[str]:
    """`models.chat.service_time_s` -> ["models", "chat", "service_time_s"]; a model or pool name may hold dots."""
    head, _, rest = key.partition(".")
    if head in ("models", "pools") and rest:
        name, _, leaf = rest.rpartition(".")
        return [head, name, leaf] if name else [head, leaf]
    return [key]


def _number(text: str, override: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise PortfolioError("--set", [Problem(override, f"{text!r} is not a number")]) from None
