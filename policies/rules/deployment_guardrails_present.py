"""Updates of inference components and dedicated endpoints roll out in batches and roll back on alarms."""

from __future__ import annotations

from typing import Any

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import Resource, StackTemplate


def deployment_guardrails_present(resource: Resource, template: StackTemplate) -> NagRuleCompliance:
    if resource.type == "AWS::SageMaker::InferenceComponent":
        update_policies = ("RollingUpdatePolicy",)
    elif template.model_variants(resource):
        # A dedicated endpoint may shift to a new fleet instead (blue/green).
        update_policies = ("RollingUpdatePolicy", "BlueGreenUpdatePolicy")
    else:  # an inference-component endpoint is updated component by component: its components carry the guardrails
        return NagRuleCompliance.NOT_APPLICABLE
    deployment = resource.properties.get("DeploymentConfig", {})
    if any(policy in deployment for policy in update_policies) and _rollback_alarms(deployment):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def _rollback_alarms(deployment: dict[str, Any]) -> list[Any]:
    return deployment.get("AutoRollbackConfiguration", {}).get("Alarms", [])


DEPLOYMENT_GUARDRAILS_PRESENT = Rule(
    name="DeploymentGuardrailsPresent",
    info="The inference component or dedicated endpoint updates without a rolling (or blue/green) policy and rollback alarms.",
    explanation="Without DeploymentConfig an update replaces every copy or instance at once, and a bad image or model "
    "serves errors until someone notices. Set DeploymentConfig.RollingUpdatePolicy (dedicated endpoints: or "
    "BlueGreenUpdatePolicy) and DeploymentConfig.AutoRollbackConfiguration.Alarms "
    "(constructs.rollback_alarms.DeploymentGuardrails).",
    resource_types=frozenset({"AWS::SageMaker::InferenceComponent", "AWS::SageMaker::Endpoint"}),
    check=deployment_guardrails_present,
)
