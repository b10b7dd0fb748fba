"""An asynchronous endpoint: the model's endpoint, where its results go, and its instance scaling, in one part."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs.async_endpoint import AsyncEndpoint, AsyncNotifications
from loadmaster.hostings.asynchronous import NAME, AsyncPlan
from policies.acknowledgements import acknowledge
from policies.loadmaster_pack import rule_id
from policies.rules.dedicated_endpoint_has_scaling_policy import DEDICATED_ENDPOINT_HAS_SCALING_POLICY
from stacks.builders.part import one_part
from stacks.hosting_stack import generation_suffix, guardrails

if TYPE_CHECKING:
    from stacks.hosting_stack import HostingStack

# Resources of one async endpoint with both topics and its own bucket, before any is measured.
FIRST_GUESS = {NAME: 24}


def add_async(stack: HostingStack, plan: AsyncPlan) -> AsyncEndpoint:
    construct_id = f"Async-{plan.model}" + generation_suffix(plan.generation)
    endpoint = AsyncEndpoint(
        stack,
        construct_id,
        endpoint_name=plan.endpoint_name,
        container=plan.container,
        instance_type=plan.instance_type.name,
        initial_instance_count=max(plan.instances.initial, 1),
        guardrails=guardrails(plan.deployment),
        isolation=stack.isolation(stack, plan.instance_type, plan.network, plan.ssm_access, name=construct_id),
        output_bucket=s3.Bucket.from_bucket_name(stack, f"{construct_id}Bucket", plan.output_bucket) if plan.output_bucket else None,
        output_prefix=f"{plan.prefix}results/",
        failure_prefix=f"{plan.prefix}failures/",
        notifications=AsyncNotifications(success=_topic(stack, f"{construct_id}Success", plan.success_topic), error=_topic(stack, f"{construct_id}Error", plan.error_topic)),
        max_concurrent_invocations_per_instance=plan.max_concurrent_invocations_per_instance,
    )
    if plan.scaling is None:
        acknowledge(endpoint, rule_id(DEDICATED_ENDPOINT_HAS_SCALING_POLICY), f"The portfolio sets scaling: none for {plan.model}: its instance count stays at {plan.instances.initial}.")
    else:
        endpoint.autoscale(plan.scaling)
    return endpoint


def _topic(stack: HostingStack, id: str, wanted: bool | str) -> sns.ITopic | bool:
    return sns.Topic.from_topic_arn(stack, id, wanted) if isinstance(wanted, str) else wanted


BUILDER = one_part(NAME, NAME, add_async, FIRST_GUESS)
