"""The `loadmaster` command: one subcommand per module in `loadmaster.commands`.

Bad input ends with the problems on stderr and exit code 2, never a traceback. Ctrl-C and a closed output pipe
are handled around it, by the `loadmaster` script itself (`loadmaster.__main__`).
"""

from __future__ import annotations

import argparse
import sys

from loadmaster import __version__
from loadmaster.commands import catalog, init, lock, observe, plan, rehearse, review, schema, simulate, synth, validate
from loadmaster.errors import EXIT_BAD_INPUT, EXIT_NOT_COMPLIANT, PortfolioError
from loadmaster.synthesis import ComplianceFailed

COMMANDS = (validate, plan, simulate, review, observe, synth, rehearse, lock, catalog, init, schema)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loadmaster",
        description="Host a portfolio of ML models on Amazon SageMaker at the lowest cost that meets each model's latency.",
    )
    parser.add_argument("--version", action="version", version=f"loadmaster {__version__}")
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(subcommands)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.run(arguments)
    except PortfolioError as error:
        print(error.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except ComplianceFailed as error:
        print(error, file=sys.stderr)
        return EXIT_NOT_COMPLIANT
