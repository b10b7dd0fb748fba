"""Keep the copies autoscaling added when a deploy updates an inference component.

A CloudFormation update of `AWS::SageMaker::InferenceComponent` (a new image, say) sends the template's
`RuntimeConfig.CopyCount` again, so a component that autoscaling had raised to 6 copies drops back to the
template's 1 until the scaling policy reacts (FACTS.md: the same class of problem as sagemaker-python-sdk issue
3126 for instance counts; our moto extension models it). Dedicated and pool endpoints do not need this: their
`RetainAllVariantProperties` keeps the instance count.

Before a deploy, `retain_live_copy_counts` lists the components on each pool's endpoint, reads the desired copy
count of each one deployed (ListInferenceComponents has no copy counts; docs/aws-facts.md) and makes it the
template's CopyCount, within the component's bounds. `cdk deploy` and `cdk diff` do this through `make deploy` /
`make diff` (context `live_capacity=true`); offline synthesis never calls AWS. Throttled calls are retried
(botocore's adaptive retry mode); missing credentials or region, a denied call or an unreachable endpoint end in
one line (`PortfolioError`), as `cdk diff` itself does.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from loadmaster.errors import PortfolioError, Problem
from loadmaster.hostings.inference_component import ComponentPlan, PoolPlan
from loadmaster.plan import Plan

#: Adaptive mode retries throttling with backoff and slows the client down to the rate the account allows.
RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10})
SOURCE = "live_capacity"


def live_sagemaker_client(region: str | None) -> Any:
    """A SageMaker client of the current AWS credentials, in the portfolio's region or else the configured one."""
    import boto3

    try:
        return boto3.session.Session().client("sagemaker", region_name=region, config=RETRIES)  # the environment as it is now
    except BotoCoreError as error:
        raise PortfolioError(SOURCE, [Problem("", _unreadable(error))]) from None


def retain_live_copy_counts(plan: Plan, sagemaker: Any) -> Plan:
    """The plan with each deployed component's live desired copy count (a boto3 SageMaker client reads it)."""
    try:
        units = tuple(
            dataclasses.replace(unit, components=_with_live_copies(unit.endpoint_name, unit.components, sagemaker)) if isinstance(unit, PoolPlan) else unit
            for unit in plan.units
        )
    except (BotoCoreError, ClientError) as error:
        raise PortfolioError(SOURCE, [Problem("", _unreadable(error))]) from None
    return dataclasses.replace(plan, units=units)


def _with_live_copies(endpoint: str, components: tuple[ComponentPlan, ...], sagemaker: Any) -> tuple[ComponentPlan, ...]:
    pages = sagemaker.get_paginator("list_inference_components").paginate(EndpointNameEquals=endpoint)
    deployed = {summary["InferenceComponentName"] for page in pages for summary in page["InferenceComponents"]}
    return tuple(_with_live_copy_count(component, sagemaker) if component.component_name in deployed else component for component in components)


def _with_live_copy_count(component: ComponentPlan, sagemaker: Any) -> ComponentPlan:
    try:
        described = sagemaker.describe_inference_component(InferenceComponentName=component.component_name)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ValidationException":  # deleted since it was listed: created anew
            return component
        raise
    live = described.get("RuntimeConfig", {}).get("DesiredCopyCount")
    if live is None:
        return component
    return dataclasses.replace(component, copies=dataclasses.replace(component.copies, live=live))


def _unreadable(error: Exception) -> str:
    return f"cannot read the deployed copy counts (-c live_capacity=true, make diff / make deploy): {error}"
