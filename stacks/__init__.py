"""Stacks built from a plan. `add_stacks` is the one entry point of `app.py`, the CLI and the tests."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from loadmaster.errors import PortfolioError, Problem
from loadmaster.identity import IdentityLock, with_stacks
from loadmaster.plan import Plan
from policies.loadmaster_pack import LoadmasterChecks
from stacks.hosting_stack import HostingStack
from stacks.partition import hosting_stacks, stack_of_each_unit

# The CDK feature flags loadmaster is tested with, read where the package has them: the repository's cdk.json is also
# the one `loadmaster init` writes (a link in a checkout, a copy in the installed package).
CDK_JSON = Path(__file__).resolve().parent.parent / "loadmaster" / "scaffold" / "cdk.json"

# CloudFormation quota: resources per stack (FACTS.md, "Inference components and endpoint configs").
MAX_RESOURCES_PER_STACK = 500


def add_stacks(app: cdk.App, plan: Plan) -> list[cdk.Stack]:
    """Add the plan's stacks to `app`, as many as CloudFormation's resource quota needs (`stacks.partition`); raise
    `PortfolioError` if a stack would still break it."""
    environment = cdk.Environment(account=plan.account, region=plan.region) if plan.region or plan.account else None
    stacks = hosting_stacks(
        app,
        plan,
        kms_key_arn=plan.kms_key_arn,
        env=environment,
        description=f"loadmaster: SageMaker hosting for the {plan.name} portfolio",
    )
    for stack in stacks:
        for key, value in plan.tags.items():
            cdk.Tags.of(stack).add(key, value)
    _raise_if_over_limits(stacks, plan.source)
    add_compliance_checks(app)
    return stacks


def add_compliance_checks(app: cdk.App) -> None:
    """Check every stack of `app` with cdk-nag's AwsSolutions pack and loadmaster's own (`policies.loadmaster_pack`).

    Both report errors: `app.synth()` (so `cdk synth`) fails on any finding not acknowledged in code.
    """
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), LoadmasterChecks())


def build_app(plan: Plan, outdir: str | None = None) -> cdk.App:
    """An app with the plan's stacks and cdk.json's feature flags, as `cdk synth` would give them to `app.py`."""
    app = cdk.App(outdir=outdir, context=json.loads(CDK_JSON.read_text())["context"])
    add_stacks(app, plan)
    return app


def identities_as_deployed(plan: Plan) -> IdentityLock:
    """The plan's identities with the stack each pool, component and dedicated endpoint is built in: what
    `loadmaster lock` records after a deploy (loadmaster.identity)."""
    app = build_app(plan)
    stacks = [stack for stack in app.node.children if isinstance(stack, HostingStack)]
    return with_stacks(plan.identities, stack_of_each_unit(stacks))


def _raise_if_over_limits(stacks: list[cdk.Stack], source: str) -> None:
    problems = []
    for stack in stacks:
        count = sum(1 for node in stack.node.find_all() if isinstance(node, cdk.CfnResource))
        if count > MAX_RESOURCES_PER_STACK:
            problems.append(
                Problem("", f"stack {stack.stack_name} would have {count} resources; CloudFormation allows {MAX_RESOURCES_PER_STACK} per stack. A single pool or endpoint this large cannot be split further.")
            )
    if problems:
        raise PortfolioError(source, problems)
