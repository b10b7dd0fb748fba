"""A serverless endpoint: the model's endpoint and, where asked, its provisioned concurrency's scaling, in one part."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs.serverless_endpoint import ServerlessEndpoint
from loadmaster.hostings.serverless import NAME, ServerlessPlan
from stacks.builders.part import one_part
from stacks.hosting_stack import generation_suffix, guardrails

if TYPE_CHECKING:
    from stacks.hosting_stack import HostingStack

# Model, config, endpoint, execution role and policy, two rollback alarms; a scalable target and policy with warm capacity.
FIRST_GUESS = {"serverless": 9}


def add_serverless(stack: HostingStack, plan: ServerlessPlan) -> ServerlessEndpoint:
    endpoint = ServerlessEndpoint(
        stack,
        f"Serverless-{plan.model}" + generation_suffix(plan.generation),
        endpoint_name=plan.endpoint_name,
        container=plan.container,
        memory_size_mb=plan.memory_mb,
        max_concurrency=plan.max_concurrency,
        provisioned_concurrency=plan.provisioned_concurrency.initial if plan.provisioned_concurrency else None,
        kms_key=stack.storage_key(),
        guardrails=guardrails(plan.deployment),
    )
    if plan.scaling is not None:
        endpoint.scale_provisioned_concurrency(plan.scaling)
    return endpoint


BUILDER = one_part(NAME, "serverless", add_serverless, FIRST_GUESS)
