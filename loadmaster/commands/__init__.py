"""Subcommands of `loadmaster`. Each module has `register(subparsers)` that adds its parser and sets `run`."""

import argparse
import sys
from pathlib import Path

from loadmaster.catalog import Catalog, catalog_from
from loadmaster.errors import render_warnings
from loadmaster.plan import Plan


def add_portfolio_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("portfolio", type=Path, metavar="PORTFOLIO", help="the portfolio file (YAML, version 1)")


def add_catalog_argument(parser: argparse.ArgumentParser) -> None:
    """`--catalog FILE`, the same on every command that plans, so what `plan` shows is what `synth` builds."""
    parser.add_argument("--catalog", type=Path, default=None, metavar="FILE",
                        help="the instance catalog to check and price with, e.g. one written by `loadmaster catalog refresh` "
                        "(default: the shipped one; `cdk synth` takes it as `-c catalog=FILE`)")


def add_replan_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """`--replan`, the same on every command that plans after the lock (loadmaster.sticky)."""
    parser.add_argument("--replan", action="store_true",
                        help=f"{what} a new plan: pack the planner's models afresh instead of keeping them on the pools and "
                        "endpoints the lock file records (a deploy of it moves models: clients must call the new names; "
                        "`cdk deploy` takes it as `-c replan=true`, `make deploy` as REPLAN=true)")


def catalog_of(arguments: argparse.Namespace) -> Catalog:
    """The catalog `--catalog` names; PortfolioError (exit 2, one line naming the file) when it cannot be used."""
    return catalog_from(arguments.catalog)


def print_warnings(plan: Plan) -> None:
    """On stderr, so that stdout stays what the command prints (`plan --format json` included); the exit code stays 0."""
    if plan.warnings:
        print(render_warnings(plan.source, plan.warnings), file=sys.stderr)
