"""Every inference component has a scaling policy on its copy count."""

from __future__ import annotations

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import Resource, StackTemplate
from policies.scalable_capacity import COPY_COUNT_DIMENSION


def component_has_scaling_policy(resource: Resource, template: StackTemplate) -> NagRuleCompliance:
    name = resource.properties.get("InferenceComponentName")
    # Application Auto Scaling finds the component by name: without a literal one no target can name it.
    if isinstance(name, str) and template.has_scaling_policy(f"inference-component/{name}", COPY_COUNT_DIMENSION):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


COMPONENT_HAS_SCALING_POLICY = Rule(
    name="ComponentHasScalingPolicy",
    info="The inference component has no Application Auto Scaling policy on its copy count.",
    explanation="Without one it keeps the copy count it was created with, however its traffic changes, and never scales to "
    "zero. Register a scalable target on sagemaker:inference-component:DesiredCopyCount for "
    "inference-component/<name> with a policy on it (policies.scalable_capacity.ScalableCapacity), or acknowledge the "
    "finding on the component with the reason its copy count is fixed.",
    resource_types=frozenset({"AWS::SageMaker::InferenceComponent"}),
    check=component_has_scaling_policy,
)
