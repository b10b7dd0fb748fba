"""`loadmaster rehearse PORTFOLIO [--update-to OTHER]`: deploy, update and delete the stacks in moto, checking each step."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loadmaster.commands import add_portfolio_argument, add_replan_argument

EXIT_CHECK_FAILED = 1


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "rehearse",
        help="deploy, update and delete a portfolio's stacks offline in moto, checking every step",
        description="Synthesize PORTFOLIO and create its stacks through CloudFormation in moto extended by "
        "loadmaster.testing (inference components, placement on instances, Application Auto Scaling); check that "
        "every endpoint, inference component, scalable target, scaling policy and alarm exists as declared and every "
        "copy is placed; optionally update to a second portfolio and check again; delete the stacks and check that "
        "nothing is left. Exits 0 when every check held, 1 with the failing check otherwise, 2 on a bad portfolio.",
    )
    add_portfolio_argument(parser)
    parser.add_argument("--update-to", type=Path, metavar="OTHER_PORTFOLIO", help="a portfolio to update the stacks to after creating them")
    add_replan_argument(parser, "update to")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from loadmaster.rehearsal import RehearsalFailed, rehearse_portfolio  # moto takes a second to import

    print(f"rehearsing {arguments.portfolio} in moto (loadmaster.testing) ...", file=sys.stderr)
    try:
        report = rehearse_portfolio(arguments.portfolio, arguments.update_to, replan=arguments.replan)
    except RehearsalFailed as failure:
        print("\n".join(failure.report))
        print(f"rehearsal failed: {failure.check}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    print("\n".join(report))
    return 0
