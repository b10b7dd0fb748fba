"""The CDK app behind `cdk synth -c portfolio=FILE [-c catalog=FILE] [-c replan=true]`: this repository's `app.py` and the `app.py`
that `loadmaster init` writes into a team's repository both only call `main`. Only wires the stacks.

Under the CDK CLI the assembly is written beside its output directory first and moved in once whole, so that the
directory holds exactly the stacks of this portfolio (`loadmaster.synthesis.synthesizing_into`). Bad input, a
compliance finding, AWS credentials that cannot read the live copy counts and Ctrl-C each end in one line.

`cdk.json` runs the app with `python -O`, as the `loadmaster` script runs itself (`loadmaster.__main__`): jsii skips
its Python-side run-time type checks of every argument, about a third of a large synthesis's Python time.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from loadmaster import kernel
from loadmaster.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_NOT_COMPLIANT, PortfolioError


def synthesize_app(default_portfolio: Path) -> int:
    """Synthesize `-c portfolio=FILE`, or `default_portfolio` without it; the exit code."""
    # Imported here, within the Ctrl-C handling below: loading scipy and the CDK takes seconds.
    from loadmaster.synthesis import prepare_cdk_runtime

    prepare_cdk_runtime()
    import aws_cdk as cdk

    from loadmaster.capacity import live_sagemaker_client, retain_live_copy_counts
    from loadmaster.catalog import catalog_from
    from loadmaster.commands import print_warnings
    from loadmaster.planner.make import plan_file
    from loadmaster.summary import render_summary
    from loadmaster.synthesis import ComplianceFailed, OutputRefused, synthesizing_into
    from stacks import add_stacks

    outdir = os.environ.get("CDK_OUTDIR")  # set by the CDK CLI; a plain `python app.py` synthesizes into a temporary folder
    try:
        with synthesizing_into(outdir) if outdir else contextlib.nullcontext() as staging:
            app = cdk.App(outdir=str(staging) if staging else None)
            catalog = catalog_from(app.node.try_get_context("catalog"))
            replan = str(app.node.try_get_context("replan")).lower() == "true"  # `make deploy REPLAN=true`
            plan = plan_file(app.node.try_get_context("portfolio") or default_portfolio, catalog, replan=replan)
            if str(app.node.try_get_context("live_capacity")).lower() == "true":  # `make deploy` and `make diff`
                plan = retain_live_copy_counts(plan, live_sagemaker_client(plan.region))
            add_stacks(app, plan)
            print_warnings(plan)
            print(render_summary(plan), file=sys.stderr)
            app.synth()
    except PortfolioError as error:
        print(error.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except OutputRefused as refused:
        print(f"{outdir}: {refused}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ComplianceFailed as error:
        print(error, file=sys.stderr)
        return EXIT_NOT_COMPLIANT
    return 0


def main(default_portfolio: Path) -> None:
    """What an `app.py` runs, and ends the process with: 0, 2 on bad input, 1 on compliance findings, 130 on Ctrl-C."""
    try:
        code = synthesize_app(default_portfolio)
    except KeyboardInterrupt:
        kernel.stop()
        with contextlib.suppress(OSError):  # the CDK CLI reading our stderr may have gone at the same Ctrl-C
            print("app.py: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    sys.exit(code)
