"""`loadmaster validate PORTFOLIO`: check a portfolio without synthesizing anything."""

from __future__ import annotations

import argparse

from loadmaster.commands import add_catalog_argument, add_portfolio_argument, catalog_of, print_warnings
from loadmaster.planner.make import plan_file
from loadmaster.summary import headline


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "validate",
        help="check a portfolio file and report every problem",
        description="Check a portfolio file: structure, names, pool references, per-copy fit on the instance type, "
        "scaling metrics, and what the plan can never reach. Exits 0 when it is valid (warnings about costly or risky "
        "settings, such as a pool without models or instances beyond SageMaker quotas, go to stderr), 2 with one line "
        "per problem when not.",
    )
    add_portfolio_argument(parser)
    add_catalog_argument(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    plan = plan_file(arguments.portfolio, catalog_of(arguments))
    print_warnings(plan)
    print(f"{arguments.portfolio} is valid. {headline(plan)}")
    return 0
