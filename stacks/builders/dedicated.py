"""A dedicated endpoint: the model's endpoint and its instance scaling, in one part."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs.dedicated_endpoint import DedicatedEndpoint, EndpointVariant
from loadmaster.hostings.dedicated import HOSTING, DedicatedPlan
from loadmaster.hostings.variants import VariantPlan
from loadmaster.scaling import Scaling
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
        variant_name=plan.variant_name,
        weight=plan.weight,
        variants=[_endpoint_variant(variant) for variant in plan.variants],
        shadow=_endpoint_variant(plan.shadow) if plan.shadow else None,
    )
    if plan.scaling is None:
        acknowledge(endpoint, rule_id(DEDICATED_ENDPOINT_HAS_SCALING_POLICY), f"The portfolio sets scaling: none for {plan.model}: its instance count stays at {plan.instances.initial}.")
        return endpoint
    _scale(endpoint, "Scaling", plan.variant_name, plan.scaling)  # the first variant's keeps the construct id it always had
    for variant in plan.variants:  # the shadow keeps its instance count
        _scale(endpoint, f"Scaling-{variant.name}", variant.name, variant.scaling)
    return endpoint


def _scale(endpoint: DedicatedEndpoint, id: str, variant_name: str, scaling: Scaling) -> None:
    """One variant's instances on its own scalable target."""
    capacity = ScalableCapacity.of_instances(
        endpoint, id, endpoint_name=endpoint.endpoint_name, variant_name=variant_name, endpoint=endpoint.endpoint,
        min_instances=scaling.min, max_instances=scaling.max,
    )
    capacity.scale(scaling, metric_dimensions={"EndpointName": endpoint.endpoint_name, "VariantName": variant_name})


def _endpoint_variant(variant: VariantPlan) -> EndpointVariant:
    return EndpointVariant(variant.name, variant.container, variant.instance_type.name, variant.instances.initial, variant.weight,
                           variant.sampling_percent if variant.sampling_percent is not None else 100)


BUILDER = one_part(HOSTING, "dedicated", add_dedicated, FIRST_GUESS)
