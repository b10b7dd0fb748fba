"""`loadmaster review --base BASE [--head HEAD]`: what a change to a portfolio does, as one pull-request comment."""

from __future__ import annotations

import argparse
from pathlib import Path

from loadmaster.commands import add_replan_argument

EXIT_BREAKING = 1  # with --fail-on breaking; also when HEAD breaks a compliance rule nobody acknowledged

FORMATS = ("markdown", "json")


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "review",
        help="review a change to a portfolio: models and pools changed, cost before and after, what a deploy replaces",
        description="Compare two revisions of a portfolio, each a file or a git revision of one (origin/main:portfolio.yaml), "
        "as a deploy of HEAD over BASE would see them (HEAD named after BASE's lock file): client-breaking changes first "
        "(an endpoint or inference component renamed, moved or deleted), then endpoint configs replaced (instances restart) "
        "and every other resource replaced or deleted, from an offline `cdk diff --template` of the two synthesized "
        "assemblies; the models and pools added, removed and changed field by field; scaling changes; the cost per hour and "
        "per month (730 hours) before and after, at mean and at peak, against one endpoint per model; compliance findings. "
        "Exits 0, or 1 with --fail-on breaking when something is client-breaking (or when HEAD does not pass compliance), "
        "2 on a bad portfolio or revision.",
    )
    parser.add_argument("--base", required=True, metavar="BASE", help="what is deployed: a portfolio file or REV:PATH")
    parser.add_argument("--head", default=None, metavar="HEAD", help="the change: a portfolio file or REV:PATH (default: BASE's path in the working tree)")
    parser.add_argument("--format", choices=FORMATS, default="markdown", help="markdown for the pull request (default), json for tools")
    parser.add_argument("--fail-on", choices=("breaking",), default=None, help="exit 1 when a client-breaking change happens")
    add_replan_argument(parser, "review HEAD as")
    parser.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help="also draw the placement and cost before and after, side by side")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from loadmaster.plot import check_target, draw  # matplotlib, moto and the CDK take seconds to import
    from loadmaster.review import render_json, render_markdown, review

    head = arguments.head or arguments.base.partition(":")[2] or arguments.base
    if arguments.plot is not None:
        check_target(arguments.plot)
    result = review(arguments.base, head, replan=arguments.replan)
    if arguments.plot is not None:
        draw([("before: " + result.base, result.base_plan), ("after: " + result.head, result.head_plan)], arguments.plot)
    picture = str(arguments.plot) if arguments.plot is not None else None
    print(render_json(result) if arguments.format == "json" else render_markdown(result, picture), end="" if arguments.format == "markdown" else "\n")
    if result.compliance or (arguments.fail_on == "breaking" and result.breaking):
        return EXIT_BREAKING
    return 0
