"""CDK entry point: `cdk synth -c portfolio=FILE [-c catalog=FILE]` (default: the built-in example and the shipped
instance catalog, as `loadmaster synth [--catalog FILE]`). Only wires the stacks."""

import sys

from loadmaster.errors import EXIT_BAD_INPUT, PortfolioError
from loadmaster.synthesis import DEFAULT_PORTFOLIO, prepare_cdk_runtime

prepare_cdk_runtime()

import aws_cdk as cdk  # noqa: E402  (after the runtime is prepared)
import boto3  # noqa: E402

from loadmaster.capacity import retain_live_copy_counts  # noqa: E402
from loadmaster.catalog import catalog_from  # noqa: E402
from loadmaster.commands import print_warnings  # noqa: E402
from loadmaster.plan import plan_file  # noqa: E402
from loadmaster.summary import render_summary  # noqa: E402
from stacks import add_stacks  # noqa: E402

app = cdk.App()
try:
    catalog = catalog_from(app.node.try_get_context("catalog"))
    plan = plan_file(app.node.try_get_context("portfolio") or DEFAULT_PORTFOLIO, catalog)
    if str(app.node.try_get_context("live_capacity")).lower() == "true":  # `make deploy` and `make diff`
        plan = retain_live_copy_counts(plan, boto3.client("sagemaker", region_name=plan.region))
    add_stacks(app, plan)
except PortfolioError as error:
    print(error.render(), file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)
print_warnings(plan)
print(render_summary(plan), file=sys.stderr)
app.synth()
