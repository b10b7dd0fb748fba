"""The CDK app behind `cdk synth -c portfolio=FILE [-c catalog=FILE]`: this repository's `app.py` and the `app.py`
that `loadmaster init` writes into a team's repository both only call `main`. Only wires the stacks."""

from __future__ import annotations

import sys
from pathlib import Path

from loadmaster.errors import EXIT_BAD_INPUT, PortfolioError
from loadmaster.synthesis import prepare_cdk_runtime


def main(default_portfolio: Path) -> None:
    """Synthesize `-c portfolio=FILE`, or `default_portfolio` without it, and print its warnings and summary on
    stderr; a bad portfolio ends the process with its problems and exit code 2."""
    prepare_cdk_runtime()
    import aws_cdk as cdk  # after the runtime is prepared
    import boto3

    from loadmaster.capacity import retain_live_copy_counts
    from loadmaster.catalog import catalog_from
    from loadmaster.commands import print_warnings
    from loadmaster.plan import plan_file
    from loadmaster.summary import render_summary
    from stacks import add_stacks

    app = cdk.App()
    try:
        catalog = catalog_from(app.node.try_get_context("catalog"))
        plan = plan_file(app.node.try_get_context("portfolio") or default_portfolio, catalog)
        if str(app.node.try_get_context("live_capacity")).lower() == "true":  # `make deploy` and `make diff`
            plan = retain_live_copy_counts(plan, boto3.client("sagemaker", region_name=plan.region))
        add_stacks(app, plan)
    except PortfolioError as error:
        print(error.render(), file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    print_warnings(plan)
    print(render_summary(plan), file=sys.stderr)
    app.synth()
