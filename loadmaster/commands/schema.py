"""`loadmaster schema`: the portfolio file's JSON Schema, for editors (loadmaster.spec.json_schema)."""

from __future__ import annotations

import argparse
import sys

from loadmaster.spec.json_schema import schema_text


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "schema",
        help="print the portfolio file's JSON Schema, for editors to complete and check portfolios",
        description="Print the JSON Schema of the portfolio file (version 1) on stdout: every key with its "
        "description, default and unit, each hosting's keys apart. Point your editor at it (VS Code's YAML extension: "
        "a first line `# yaml-language-server: $schema=portfolio.schema.json`). `loadmaster validate` checks what a "
        "schema cannot: pool references, fit on the instance types, regions.",
    )
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0
