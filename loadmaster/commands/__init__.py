"""Subcommands of `loadmaster`. Each module has `register(subparsers)` that adds its parser and sets `run`."""

import argparse
from pathlib import Path


def add_portfolio_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("portfolio", type=Path, metavar="PORTFOLIO", help="the portfolio file (YAML, version 1)")
