"""`loadmaster synth PORTFOLIO [--out DIR]`: the CloudFormation templates and a summary to review."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from loadmaster.commands import add_catalog_argument, add_portfolio_argument, catalog_of, print_warnings
from loadmaster.errors import PortfolioError, Problem
from loadmaster.plan import plan_file
from loadmaster.summary import render_summary
from loadmaster.synthesis import synthesize


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "synth",
        help="synthesize a portfolio into a CDK cloud assembly and summarize it",
        description="Validate and plan a portfolio, then synthesize its stacks into a CDK cloud assembly (the same code "
        "path as `cdk synth -c portfolio=PORTFOLIO`). The output directory is replaced only once synthesis succeeded.",
    )
    add_portfolio_argument(parser)
    add_catalog_argument(parser)
    parser.add_argument("--out", type=Path, default=Path("cdk.out"), metavar="DIR", help="where to write the cloud assembly (default: cdk.out)")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    plan = plan_file(arguments.portfolio, catalog_of(arguments))
    problem = _output_problem(arguments.out)
    if problem:
        raise PortfolioError(f"--out {arguments.out}", [Problem("", problem)])
    print_warnings(plan)
    print(f"synthesizing {arguments.portfolio} ...", file=sys.stderr)
    stacks = synthesize(plan, arguments.out)
    for stack in stacks:
        resources = len(stack.template.get("Resources", {}))
        print(f"stack {stack.name}: {resources} resources -> {stack.template_file}")
    print(render_summary(plan))
    return 0


def _output_problem(out: Path) -> str | None:
    """Why the assembly could not be written to `out`, found before the synthesis rather than as a traceback after it.

    The assembly is staged beside `out` and renamed onto it, so the folder that holds `out` must be writable too.
    """
    if out.exists() and not out.is_dir():
        return "exists and is not a directory"
    folder = next(parent for parent in out.absolute().parents if parent.exists())
    if not folder.is_dir():
        return f"{folder} is not a directory"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write in {folder}"
    return None
