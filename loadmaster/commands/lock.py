"""`loadmaster lock PORTFOLIO`: record the names the portfolio deploys under, so that later changes can replace
endpoints and components beside the deployed ones instead of colliding with them (loadmaster.identity)."""

from __future__ import annotations

import argparse
import sys

from loadmaster.commands import add_portfolio_argument, add_replan_argument
from loadmaster.identity import lock_path, write_lock
from loadmaster.planner.make import plan_file
from loadmaster.synthesis import prepare_cdk_runtime


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "lock",
        help="record the endpoint and component names the portfolio deploys under (PORTFOLIO.lock.json)",
        description="Plan the portfolio against its lock file (PORTFOLIO.lock.json beside it, if any) and write the names "
        "and generations it deploys under, and the stack that holds each. Run it after each deploy (`make deploy` does) and commit the file: a later "
        "change that needs a new endpoint or component (an instance type, a model moving pools) then gets a new name "
        "(-v2, ...) beside the deployed one instead of a failed update, and the models the planner placed stay where they are. "
        "After a deploy with -c replan=true, record it with --replan.",
    )
    add_portfolio_argument(parser)
    add_replan_argument(parser, "record")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    plan = plan_file(arguments.portfolio, replan=arguments.replan)
    path = lock_path(arguments.portfolio)
    for change in plan.replaced:
        print(f"replaces: {change}", file=sys.stderr)
    prepare_cdk_runtime()
    from stacks import identities_as_deployed

    written = write_lock(path, identities_as_deployed(plan))
    print(f"{path} {'written' if written else 'already up to date'}")
    return 0
