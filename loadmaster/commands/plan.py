"""`loadmaster plan PORTFOLIO [--format markdown|json]`: what the planner decided, why, and what it costs."""

from __future__ import annotations

import argparse
from pathlib import Path

from loadmaster.catalog import CATALOG_FILE, load_catalog
from loadmaster.commands import add_portfolio_argument, print_warnings
from loadmaster.errors import PortfolioError, Problem
from loadmaster.plan import plan_file
from loadmaster.planner.render import render_json, render_markdown

RENDERERS = {"markdown": render_markdown, "json": render_json}


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "plan",
        help="show the plan: pools, instance types and counts, hosting per model and why, cost against the baseline",
        description="Plan a portfolio and show every decision: per pool the instance type, instances at the floor, at mean "
        "and at peak traffic and which copies share each instance; per model its hosting, why, and its copies; the hourly "
        "cost at mean and peak traffic, against one dedicated endpoint per model (the baseline) and the packing's "
        "LP lower bound. The stacks synthesize exactly this plan. Warnings (costly or risky settings) go to stderr, and JSON "
        "also lists them under \"warnings\".",
    )
    add_portfolio_argument(parser)
    parser.add_argument("--format", choices=sorted(RENDERERS), default="markdown", help="markdown for people (default), json for tools")
    parser.add_argument("--catalog", type=Path, default=CATALOG_FILE, metavar="FILE",
                        help="the instance catalog to price with, e.g. one written by `loadmaster catalog refresh` (default: the shipped one)")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    try:
        catalog = load_catalog(arguments.catalog)
    except (OSError, ValueError, KeyError) as error:
        raise PortfolioError(str(arguments.catalog), [Problem("", f"not a readable instance catalog: {error!r}")]) from None
    plan = plan_file(arguments.portfolio, catalog)
    print_warnings(plan)
    print(RENDERERS[arguments.format](plan), end="")
    return 0
