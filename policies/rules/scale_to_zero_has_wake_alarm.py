"""Every inference component that may scale to zero copies has the alarm and step policy that wake it."""

from __future__ import annotations

from typing import Any

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import SCALABLE_TARGET, Resource, StackTemplate
from policies.scalable_capacity import COPY_COUNT_DIMENSION

NO_CAPACITY_METRIC = "NoCapacityInvocationFailures"


def scale_to_zero_has_wake_alarm(resource: Resource, template: StackTemplate) -> NagRuleCompliance:
    target = resource.properties
    if target.get("ScalableDimension") != COPY_COUNT_DIMENSION or target.get("MinCapacity") != 0:
        return NagRuleCompliance.NOT_APPLICABLE
    component_name = target.get("ResourceId", "").removeprefix("inference-component/")
    wake_policies = [policy.ref for policy in template.policies_on(resource) if _adds_capacity(policy.properties)]
    alarms = [alarm.properties for alarm in template.of_type("AWS::CloudWatch::Alarm")]
    if any(_watches_no_capacity(alarm, component_name) and any(policy in alarm.get("AlarmActions", []) for policy in wake_policies) for alarm in alarms):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def _adds_capacity(policy: dict[str, Any]) -> bool:
    steps = policy.get("StepScalingPolicyConfiguration", {}).get("StepAdjustments", [])
    return policy.get("PolicyType") == "StepScaling" and any(step.get("ScalingAdjustment", 0) > 0 for step in steps)


def _watches_no_capacity(alarm: dict[str, Any], component_name: str) -> bool:
    return (
        alarm.get("Namespace") == "AWS/SageMaker"
        and alarm.get("MetricName") == NO_CAPACITY_METRIC
        and {"Name": "InferenceComponentName", "Value": component_name} in alarm.get("Dimensions", [])
    )


SCALE_TO_ZERO_HAS_WAKE_ALARM = Rule(
    name="ScaleToZeroHasWakeAlarm",
    info="The inference component may scale to zero copies but no NoCapacityInvocationFailures alarm drives a step policy that adds a copy.",
    explanation="Target tracking never leaves zero copies: at zero there is no per-copy metric, so every request fails "
    "for lack of capacity until something adds a copy. Add a CloudWatch alarm on AWS/SageMaker "
    "NoCapacityInvocationFailures for the component whose action is a step-scaling policy on the same scalable target "
    "that adds at least one copy (policies.scale_from_zero.ScaleFromZero).",
    resource_types=frozenset({SCALABLE_TARGET}),
    check=scale_to_zero_has_wake_alarm,
)
