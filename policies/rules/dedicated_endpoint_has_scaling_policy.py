"""Every dedicated endpoint has a scaling policy on the instance count of each of its variants."""

from __future__ import annotations

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import Resource, StackTemplate
from policies.scalable_capacity import INSTANCE_COUNT_DIMENSION


def dedicated_endpoint_has_scaling_policy(resource: Resource, template: StackTemplate) -> NagRuleCompliance:
    # An inference-component endpoint has no model variants (managed instance scaling sizes it), and a serverless
    # variant no instances (SageMaker starts its containers per request).
    variants = [variant for variant in template.model_variants(resource) if "ServerlessConfig" not in variant]
    if not variants:
        return NagRuleCompliance.NOT_APPLICABLE
    name = resource.properties.get("EndpointName")
    if isinstance(name, str) and all(
        template.has_scaling_policy(f"endpoint/{name}/variant/{variant['VariantName']}", INSTANCE_COUNT_DIMENSION) for variant in variants
    ):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


DEDICATED_ENDPOINT_HAS_SCALING_POLICY = Rule(
    name="DedicatedEndpointHasScalingPolicy",
    info="A variant of the dedicated endpoint has no Application Auto Scaling policy on its instance count.",
    explanation="Without one the endpoint keeps the instances it was created with, paying for its peak all day or "
    "missing its latency at the peak. Register a scalable target on sagemaker:variant:DesiredInstanceCount for "
    "endpoint/<name>/variant/<variant> with a policy on it (policies.scalable_capacity.ScalableCapacity), or "
    "acknowledge the finding on the endpoint with the reason its instance count is fixed.",
    resource_types=frozenset({"AWS::SageMaker::Endpoint"}),
    check=dedicated_endpoint_has_scaling_policy,
)
