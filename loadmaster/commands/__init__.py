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


def catalog_of(arguments: argparse.Namespace) -> Catalog:
    """The catalog `--catalog` names; PortfolioError (exit 2, one line naming the file) when it cannot be used."""
    return catalog_from(arguments.catalog)


def print_warnings(plan: Plan) -> None:
    """On stderr, so that stdout stays what the command prints (`plan --format json` included); the exit code stays 0."""
    if plan.warnings:
        print(render_warnings(plan.source, plan.warnings), file=sys.stderr)
