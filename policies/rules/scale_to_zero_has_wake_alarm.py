"""Every scalable target that may reach zero has the alarm and step policy that wake it: an inference component's
copies, an asynchronous endpoint's instances."""

from __future__ import annotations

from typing import Any

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import SCALABLE_TARGET, Resource, StackTemplate
from policies.scalable_capacity import COPY_COUNT_DIMENSION, INSTANCE_COUNT_DIMENSION

NO_CAPACITY_METRIC = "NoCapacityInvocationFailures"
# What an asynchronous endpoint at zero instances raises while requests wait (SageMaker developer guide,
# "Autoscale an asynchronous endpoint"): without a step policy on it, the endpoint starts again only once the queue
# per instance exceeds the target.
BACKLOG_WITHOUT_CAPACITY_METRIC = "HasBacklogWithoutCapacity"


def scale_to_zero_has_wake_alarm(resource: Resource, template: StackTemplate) -> NagRuleCompliance:
    target = resource.properties
    if target.get("MinCapacity") != 0:
        return NagRuleCompliance.NOT_APPLICABLE
    watched = _wake_metric(target, template)
    if watched is None:
        return NagRuleCompliance.NOT_APPLICABLE
    wake_policies = [policy.ref for policy in template.policies_on(resource) if _adds_capacity(policy.properties)]
    alarms = [alarm.properties for alarm in template.of_type("AWS::CloudWatch::Alarm")]
    if any(_watches(alarm, *watched) and any(policy in alarm.get("AlarmActions", []) for policy in wake_policies) for alarm in alarms):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def _wake_metric(target: dict[str, Any], template: StackTemplate) -> tuple[str, dict[str, str]] | None:
    """The metric and dimension whose alarm must wake the target: a component's no-capacity failures, an async
    endpoint's backlog without capacity; None for a target that cannot reach zero otherwise."""
    resource_id = target.get("ResourceId", "")
    if target.get("ScalableDimension") == COPY_COUNT_DIMENSION:
        return NO_CAPACITY_METRIC, {"Name": "InferenceComponentName", "Value": resource_id.removeprefix("inference-component/")}
    if target.get("ScalableDimension") == INSTANCE_COUNT_DIMENSION and resource_id.startswith("endpoint/"):
        endpoint_name = resource_id.split("/")[1]
        if _is_async(endpoint_name, template):
            return BACKLOG_WITHOUT_CAPACITY_METRIC, {"Name": "EndpointName", "Value": endpoint_name}
    return None


def _is_async(endpoint_name: str, template: StackTemplate) -> bool:
    for endpoint in template.of_type("AWS::SageMaker::Endpoint"):
        if endpoint.properties.get("EndpointName") == endpoint_name:
            config = template.referenced(endpoint.properties.get("EndpointConfigName"))
            return config is not None and "AsyncInferenceConfig" in config.properties
    return False


def _adds_capacity(policy: dict[str, Any]) -> bool:
    steps = policy.get("StepScalingPolicyConfiguration", {}).get("StepAdjustments", [])
    return policy.get("PolicyType") == "StepScaling" and any(step.get("ScalingAdjustment", 0) > 0 for step in steps)


def _watches(alarm: dict[str, Any], metric_name: str, dimension: dict[str, str]) -> bool:
    return alarm.get("Namespace") == "AWS/SageMaker" and alarm.get("MetricName") == metric_name and dimension in alarm.get("Dimensions", [])


SCALE_TO_ZERO_HAS_WAKE_ALARM = Rule(
    name="ScaleToZeroHasWakeAlarm",
    info="The inference component or asynchronous endpoint may scale to zero but no alarm on its wake-up metric drives a step policy that adds capacity.",
    explanation="Target tracking never leaves zero: at zero there is no per-copy or per-instance metric, so every "
    "request to a component fails for lack of capacity, and an asynchronous endpoint's queue waits until it exceeds "
    "the target, until something adds capacity. Add a CloudWatch alarm on AWS/SageMaker NoCapacityInvocationFailures "
    "for the component, or HasBacklogWithoutCapacity for the endpoint, whose action is a step-scaling policy on the "
    "same scalable target that adds at least one copy or instance (policies.scale_from_zero.ScaleFromZero).",
    resource_types=frozenset({SCALABLE_TARGET}),
    check=scale_to_zero_has_wake_alarm,
)
