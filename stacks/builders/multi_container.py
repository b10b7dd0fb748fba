"""A model of several containers on its own endpoint (multi-container with direct invocation, or a serial pipeline)
and its instance scaling, in one part."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs.multi_container_endpoint import MultiContainerEndpoint, PipelineEndpoint
from loadmaster.hostings import multi_container, pipeline
from loadmaster.hostings.multi_container import ContainersPlan
from policies.acknowledgements import acknowledge
from policies.loadmaster_pack import rule_id
from policies.rules.dedicated_endpoint_has_scaling_policy import DEDICATED_ENDPOINT_HAS_SCALING_POLICY
from policies.scalable_capacity import ScalableCapacity
from stacks.builders.part import Builder, one_part
from stacks.hosting_stack import generation_suffix, guardrails

if TYPE_CHECKING:
    from stacks.hosting_stack import HostingStack

CONSTRUCTS = {multi_container.HOSTING: MultiContainerEndpoint, pipeline.HOSTING: PipelineEndpoint}


def add_containers_endpoint(stack: HostingStack, plan: ContainersPlan) -> MultiContainerEndpoint | PipelineEndpoint:
    construct_id = f"{CONSTRUCTS[plan.pattern].__name__.removesuffix('Endpoint')}-{plan.model}" + generation_suffix(plan.generation)
    endpoint = CONSTRUCTS[plan.pattern](
        stack,
        construct_id,
        endpoint_name=plan.endpoint_name,
        containers=plan.containers,
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
    capacity.scale(plan.scaling, metric_dimensions=endpoint.metric_dimensions)
    return endpoint


def containers_builder(pattern: str) -> Builder:
    """The builder of `pattern`, multi-container or pipeline: one part, its endpoint."""
    return one_part(pattern, pattern, add_containers_endpoint, {pattern: RESOURCES_FIRST_GUESS})


# As a dedicated endpoint's: the model, config, endpoint, role and policy, two alarms, a target and a policy.
RESOURCES_FIRST_GUESS = 12
BUILDER = containers_builder(multi_container.HOSTING)
