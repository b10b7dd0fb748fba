"""`loadmaster synth PORTFOLIO [--out DIR]`: the CloudFormation templates and a summary to review."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from loadmaster.commands import add_catalog_argument, add_portfolio_argument, add_replan_argument, catalog_of, print_warnings
from loadmaster.errors import PortfolioError, Problem
from loadmaster.planner.make import plan_file
from loadmaster.summary import render_summary
from loadmaster.synthesis import OutputRefused, check_output, synthesize


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "synth",
        help="synthesize a portfolio into a CDK cloud assembly and summarize it",
        description="Validate and plan a portfolio, then synthesize its stacks into a CDK cloud assembly (the same code "
        "path as `cdk synth -c portfolio=PORTFOLIO`). DIR must be new, empty, or hold a cloud assembly and nothing else; "
        "its assembly is replaced only once the new one is whole. Ctrl-C leaves it as it was.",
    )
    add_portfolio_argument(parser)
    add_catalog_argument(parser)
    add_replan_argument(parser, "synthesize")
    parser.add_argument("--out", default="cdk.out", metavar="DIR", help="where to write the cloud assembly (default: cdk.out)")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    plan = plan_file(arguments.portfolio, catalog_of(arguments), replan=arguments.replan)
    print_warnings(plan)
    out = Path(arguments.out)
    try:
        check_output(out)  # before the seconds of synthesis
        print(f"synthesizing {arguments.portfolio} ...", file=sys.stderr)
        stacks = synthesize(plan, out)
    except OutputRefused as refused:
        raise PortfolioError(f"--out {shlex.quote(arguments.out)}", [Problem("", str(refused))]) from None
    for stack in stacks:
        resources = len(stack.template.get("Resources", {}))
        print(f"stack {stack.name}: {resources} resources -> {stack.template_file}")
    print(render_summary(plan))
    return 0

