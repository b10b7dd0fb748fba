"""A dedicated endpoint: the model's endpoint and its instance scaling, in one part."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs.dedicated_endpoint import DedicatedEndpoint
from loadmaster.hostings.dedicated import HOSTING, DedicatedPlan
from policies.acknowledgements import acknowledge
from policies.loadmaster_pack import rule_id
from policies.rules.dedicated_endpoint_has_scaling_policy import DEDICATED_ENDPOINT_HAS_SCALING_POLICY
from policies.scalable_capacity import ScalableCapacity
from stacks.builders.part import one_part
from stacks.hosting_stack import generation_suffix, guardrails

if TYPE_CHECKING:
    from stacks.hosting_stack import HostingStack

FIRST_GUESS = {"dedicated": 12}


def add_dedicated(stack: HostingStack, plan: DedicatedPlan) -> DedicatedEndpoint:
    construct_id = f"Dedicated-{plan.model}" + generation_suffix(plan.generation)
    endpoint = DedicatedEndpoint(
        stack,
        construct_id,
        endpoint_name=plan.endpoint_name,
        container=plan.container,
        instance_type=plan.instance_type.name,
        initial_instance_count=plan.instances.initial,
        guardrails=guardrails(plan.deployment),
        isolation=stack.isolation(stack, plan.instance_type, plan.network, plan.ssm_access, name=construct_id),
    )
    if plan.scaling is None:
        acknowledge(endpoint, rule_id(DEDICATED_ENDPOINT_HAS_SCALING_POLICY), f"The portfolio sets scaling: none for {plan.model}: its instance count stays at {plan.instances.initial}.")
        return endpoint
    capacity = ScalableCapacity.of_instances(
        endpoint, "Scaling", endpoint_name=plan.endpoint_name, variant_name=endpoint.variant_name, endpoint=endpoint.endpoint,
        min_instances=plan.scaling.min, max_instances=plan.scaling.max,
    )
    capacity.track_all(plan.scaling, metric_dimensions=endpoint.metric_dimensions)
    return endpoint


BUILDER = one_part(HOSTING, "dedicated", add_dedicated, FIRST_GUESS)
