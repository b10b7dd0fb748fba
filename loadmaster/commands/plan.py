"""`loadmaster plan PORTFOLIO [--format markdown|json]`: what the planner decided, why, and what it costs."""

from __future__ import annotations

import argparse
from pathlib import Path

from loadmaster.commands import add_catalog_argument, add_portfolio_argument, add_replan_argument, catalog_of, print_warnings
from loadmaster.errors import PortfolioError, Problem
from loadmaster.planner.make import plan_file
from loadmaster.planner.bill import SAVINGS_PLAN_RATES, savings_plan_rate
from loadmaster.planner.render import render_json, render_markdown

RENDERERS = {"markdown": render_markdown, "json": render_json}


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "plan",
        help="show the plan: pools, instance types and counts, hosting per model and why, cost against the baseline",
        description="Plan a portfolio and show every decision: per pool the instance type, instances at the floor, at mean "
        "and at peak traffic and which copies share each instance; per model its hosting, why, and its copies; the hourly "
        "cost at mean and peak traffic, against one dedicated endpoint per model at the same traffic (the baseline) and the packing's "
        "LP lower bound. The stacks synthesize exactly this plan. What the planner placed stays where the lock file "
        "(PORTFOLIO.lock.json) has it, re-sized for today's traffic, unless --replan. Warnings (costly or risky settings) go to stderr, and JSON "
        "also lists them under \"warnings\".",
    )
    add_portfolio_argument(parser)
    parser.add_argument("--format", choices=sorted(RENDERERS), default="markdown", help="markdown for people (default), json for tools")
    parser.add_argument("--plot", type=Path, default=None, metavar="FILE.png",
                        help="also draw the placement (each instance of each pool filled by copies, at mean and at peak) and the cost against the baseline")
    parser.add_argument("--savings-plan", choices=sorted(SAVINGS_PLAN_RATES), default=None, metavar="1y|3y",
                        help="recommend a SageMaker Savings Plans commitment (USD/h) for the part of the plan that runs all the "
                        "time, with the effective cost and the break-even utilisation")
    parser.add_argument("--savings-plan-discount", type=_percent, default=None, metavar="PERCENT",
                        help="your Savings Plans discount off on-demand, in percent (default: the term's published headline "
                        "figure or estimate, named in the output)")
    add_catalog_argument(parser)
    add_replan_argument(parser, "show")
    parser.set_defaults(run=run)


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"{text} is not a discount between 0 and 100 (percent)")
    return value


def run(arguments: argparse.Namespace) -> int:
    plan = plan_file(arguments.portfolio, catalog_of(arguments), replan=arguments.replan)
    print_warnings(plan)
    if arguments.savings_plan_discount is not None and arguments.savings_plan is None:
        raise PortfolioError(str(arguments.portfolio), [Problem("--savings-plan-discount", "needs --savings-plan 1y|3y, the term it is the discount of")])
    rate = savings_plan_rate(arguments.savings_plan, arguments.savings_plan_discount) if arguments.savings_plan else None
    if arguments.plot is not None:
        from loadmaster.plot import draw  # matplotlib takes a second to import

        draw([(plan.name, plan)], arguments.plot)
    print(RENDERERS[arguments.format](plan, rate), end="")
    return 0
