"""CDK entry point: `cdk synth -c portfolio=FILE [-c catalog=FILE]` (default: the built-in example and the shipped
instance catalog, as `loadmaster synth [--catalog FILE]`). Only wires the stacks.

Under the CDK CLI the assembly is written beside its output directory first and moved in once whole, so that the
directory holds exactly the stacks of this portfolio (`loadmaster.synthesis.synthesizing_into`). Bad input, a
compliance finding, AWS credentials that cannot read the live copy counts and Ctrl-C each end in one line.
"""

import contextlib
import os
import sys

from loadmaster import kernel
from loadmaster.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_NOT_COMPLIANT, PortfolioError


def main() -> int:
    # Imported here, within the Ctrl-C handling below: loading scipy and the CDK takes seconds.
    from loadmaster.synthesis import prepare_cdk_runtime

    prepare_cdk_runtime()
    import aws_cdk as cdk

    from loadmaster.capacity import live_sagemaker_client, retain_live_copy_counts
    from loadmaster.catalog import catalog_from
    from loadmaster.commands import print_warnings
    from loadmaster.plan import plan_file
    from loadmaster.summary import render_summary
    from loadmaster.synthesis import DEFAULT_PORTFOLIO, ComplianceFailed, OutputRefused, synthesizing_into
    from stacks import add_stacks

    outdir = os.environ.get("CDK_OUTDIR")  # set by the CDK CLI; a plain `python app.py` synthesizes into a temporary folder
    try:
        with synthesizing_into(outdir) if outdir else contextlib.nullcontext() as staging:
            app = cdk.App(outdir=str(staging) if staging else None)
            catalog = catalog_from(app.node.try_get_context("catalog"))
            plan = plan_file(app.node.try_get_context("portfolio") or DEFAULT_PORTFOLIO, catalog)
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


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        kernel.stop()
        with contextlib.suppress(OSError):  # the CDK CLI reading our stderr may have gone at the same Ctrl-C
            print("app.py: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
