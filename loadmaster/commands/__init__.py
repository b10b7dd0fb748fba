"""Subcommands of `loadmaster`. Each module has `register(subparsers)` that adds its parser and sets `run`."""

import argparse
import sys
from pathlib import Path

from loadmaster.errors import render_warnings
from loadmaster.plan import Plan


def add_portfolio_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("portfolio", type=Path, metavar="PORTFOLIO", help="the portfolio file (YAML, version 1)")


def print_warnings(plan: Plan) -> None:
    """On stderr, so that stdout stays what the command prints (`plan --format json` included); the exit code stays 0."""
    if plan.warnings:
        print(render_warnings(plan.source, plan.warnings), file=sys.stderr)
