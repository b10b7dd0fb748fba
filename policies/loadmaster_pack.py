"""loadmaster's rules as a CDK validation plugin: `Validations.of(app).add_plugins(LoadmasterChecks())`.

The rules judge the synthesized templates' JSON in Python, once per synthesis: a cdk-nag `NagPack` would call back
from JavaScript into Python for every resource and every rule, and resolve each resource's properties through jsii,
tens of thousands of round trips for a few hundred models. The report is the one cdk-nag's packs give (a finding
per rule, its resources by construct path, severity error) and CDK applies the acknowledgements to it in the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import region_info
from cdk_nag import NagRuleCompliance
from loadmaster.synthesis import SynthesizedStack
from policies.rules.component_has_scaling_policy import COMPONENT_HAS_SCALING_POLICY
from policies.rules.dedicated_endpoint_has_scaling_policy import DEDICATED_ENDPOINT_HAS_SCALING_POLICY
from policies.rules.deployment_guardrails_present import DEPLOYMENT_GUARDRAILS_PRESENT
from policies.rules.iam_arns_in_stack_partition import IAM_ARNS_IN_STACK_PARTITION
from policies.rules.kms_key_where_supported import KMS_KEY_WHERE_SUPPORTED
from policies.rules.list_bucket_has_prefix_condition import LIST_BUCKET_HAS_PREFIX_CONDITION
from policies.rules.no_kms_key_on_nvme_instances import NO_KMS_KEY_ON_NVME_INSTANCES
from policies.rules.rule import Rule
from policies.rules.scalable_target_has_no_role import SCALABLE_TARGET_HAS_NO_ROLE
from policies.rules.scale_to_zero_has_wake_alarm import SCALE_TO_ZERO_HAS_WAKE_ALARM
from policies.rules.template import StackTemplate

PACK_NAME = "Loadmaster"

RULES = (
    COMPONENT_HAS_SCALING_POLICY,
    DEDICATED_ENDPOINT_HAS_SCALING_POLICY,
    SCALE_TO_ZERO_HAS_WAKE_ALARM,
    NO_KMS_KEY_ON_NVME_INSTANCES,
    KMS_KEY_WHERE_SUPPORTED,
    SCALABLE_TARGET_HAS_NO_ROLE,
    DEPLOYMENT_GUARDRAILS_PRESENT,
    IAM_ARNS_IN_STACK_PARTITION,
    LIST_BUCKET_HAS_PREFIX_CONDITION,
)


def rule_id(rule: Rule) -> str:
    """The id findings of `rule` are reported and acknowledged by: ``Loadmaster-<name>``."""
    return f"{PACK_NAME}-{rule.name}"


@jsii.implements(cdk.IPolicyValidationPlugin)
class LoadmasterChecks:
    """Every rule of `RULES` on the resources it applies to, as errors named ``Loadmaster-<rule>``.

    Acknowledge a finding on the construct that owns the resource, with
    `policies.acknowledgements.acknowledge(construct, rule_id(rule), reason)`.
    """

    @property
    def name(self) -> str:
        return PACK_NAME

    @property
    def rule_ids(self) -> list[str]:
        return [rule_id(rule) for rule in RULES]

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        findings: dict[str, list[cdk.PolicyViolatingResource]] = {}  # rule id -> resources, in the order first found
        for stack in context.stack_templates:
            template_file = Path(stack.template_path)
            template = StackTemplate(json.loads(template_file.read_text()), partition=_partition(stack.region))
            found = list(judged_non_compliant(template))
            paths = _construct_paths(template_file) if found else {}
            for resource, rule in found:
                findings.setdefault(rule_id(rule), []).append(_violating(resource.logical_id, template_file, paths))
        rules = {rule_id(rule): rule for rule in RULES}
        violations = [
            cdk.PolicyViolation(rule_name=name, description=rules[name].info, severity="error", violating_resources=resources)
            for name, resources in findings.items()
        ]
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)


def judged_non_compliant(template: StackTemplate):
    """(resource, rule) for every rule a resource of `template` breaks, in template order."""
    for resource in template:
        for rule in RULES:
            if rule.applies_to(resource) and rule.judge(resource, template) == NagRuleCompliance.NON_COMPLIANT:
                yield resource, rule


def _partition(region: str | None) -> str | None:
    return region_info.RegionInfo.get(region).partition if region else None


def _construct_paths(template_file: Path) -> dict[str, str]:
    """Logical id -> construct path, from the metadata file CDK wrote beside the template."""
    return SynthesizedStack(template_file.name.removesuffix(".template.json"), template_file).construct_paths


def _violating(logical_id: str, template_file: Path, construct_paths: dict[str, str]) -> cdk.PolicyViolatingResource:
    """The resource as cdk-nag's packs name it, by construct path: CDK applies acknowledgements by path. By logical
    id if the metadata does not name it (an app that turns CDK's metadata off); CDK then looks its path up."""
    if logical_id in construct_paths:
        return cdk.PolicyViolatingResource(construct_path=construct_paths[logical_id], locations=["Properties"])
    return cdk.PolicyViolatingResource(resource_logical_id=logical_id, template_path=str(template_file), locations=["Properties"])
