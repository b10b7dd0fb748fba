"""A multi-model endpoint: its shared container over the prefix, the endpoint and its instance scaling, in one part."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs.multi_model_endpoint import MultiModelEndpoint
from loadmaster.hostings.multi_model import NAME, MultiModelPlan
from policies.acknowledgements import acknowledge
from policies.loadmaster_pack import rule_id
from policies.rules.dedicated_endpoint_has_scaling_policy import DEDICATED_ENDPOINT_HAS_SCALING_POLICY
from stacks.builders.part import one_part
from stacks.hosting_stack import generation_suffix, guardrails

if TYPE_CHECKING:
    from stacks.hosting_stack import HostingStack

# Resources of one multi-model endpoint with both scaling policies, before any is measured.
FIRST_GUESS = {NAME: 13}


def add_multi_model(stack: HostingStack, plan: MultiModelPlan) -> MultiModelEndpoint:
    construct_id = f"MultiModel-{plan.model}" + generation_suffix(plan.generation)
    endpoint = MultiModelEndpoint(
        stack,
        construct_id,
        endpoint_name=plan.endpoint_name,
        container=plan.container,
        instance_type=plan.instance_type.name,
        initial_instance_count=plan.instances.initial,
        model_cache=plan.model_cache,
        guardrails=guardrails(plan.deployment),
        isolation=stack.isolation(stack, plan.instance_type, plan.network, plan.ssm_access, name=construct_id),
    )
    if plan.scaling is None:
        acknowledge(endpoint, rule_id(DEDICATED_ENDPOINT_HAS_SCALING_POLICY), f"The portfolio sets scaling: none for {plan.model}: its instance count stays at {plan.instances.initial}.")
    else:
        endpoint.autoscale(plan.scaling)
    return endpoint


BUILDER = one_part(NAME, NAME, add_multi_model, FIRST_GUESS)
