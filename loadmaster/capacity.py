"""Keep the copies autoscaling added when a deploy updates an inference component.

A CloudFormation update of `AWS::SageMaker::InferenceComponent` (a new image, say) sends the template's
`RuntimeConfig.CopyCount` again, so a component that autoscaling had raised to 6 copies drops back to the
template's 1 until the scaling policy reacts (FACTS.md: the same class of problem as sagemaker-python-sdk issue
3126 for instance counts; our moto extension models it). Dedicated and pool endpoints do not need this: their
`RetainAllVariantProperties` keeps the instance count.

Before a deploy, `retain_live_copy_counts` reads each component's desired copy count from the account and makes
it the template's CopyCount, within the component's bounds. `cdk deploy` and `cdk diff` do this through
`make deploy` / `make diff` (context `live_capacity=true`); offline synthesis never calls AWS.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from botocore.exceptions import ClientError

from loadmaster.plan import ComponentPlan, Plan


def retain_live_copy_counts(plan: Plan, sagemaker: Any) -> Plan:
    """The plan with each existing component's live desired copy count (a boto3 SageMaker client reads it)."""
    pools = tuple(
        dataclasses.replace(pool, components=tuple(_with_live_copies(component, sagemaker) for component in pool.components))
        for pool in plan.pools
    )
    return dataclasses.replace(plan, pools=pools)


def _with_live_copies(component: ComponentPlan, sagemaker: Any) -> ComponentPlan:
    try:
        described = sagemaker.describe_inference_component(InferenceComponentName=component.component_name)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ValidationException":  # not deployed yet: created with its initial count
            return component
        raise
    live = described.get("RuntimeConfig", {}).get("DesiredCopyCount")
    if live is None:
        return component
    return dataclasses.replace(component, copies=dataclasses.replace(component.copies, live=live))
