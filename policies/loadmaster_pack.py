"""loadmaster's rules as a cdk-nag pack: `Validations.of(app).add_plugins(LoadmasterChecks(app))`."""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct
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
from policies.rules.template import Resource, StackTemplate

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


class LoadmasterChecks(NagPack):
    """Every rule of `RULES` on the resources it applies to, as errors named ``Loadmaster-<rule>``.

    Acknowledge a finding on the construct that owns the resource, with
    `policies.acknowledgements.acknowledge(construct, rule_id(rule), reason)`.

    Each stack is read once, at its first resource: CDK validates an app once, when it is synthesized.
    """

    def __init__(self, scope: IConstruct | None = None, *, verbose: bool | None = None) -> None:
        super().__init__(scope, verbose=verbose)
        self._pack_name = PACK_NAME
        self._templates: dict[str, StackTemplate] = {}

    @property
    def name(self) -> str:
        return PACK_NAME

    def _check_resource(self, node: cdk.CfnResource) -> None:
        template = self._template_of(cdk.Stack.of(node))
        resource = template.resource(node)
        # Only the rules that judge this type: the others would say "not applicable" through a costly jsii round trip.
        for rule in RULES:
            if rule.applies_to(resource):
                self._apply_rule(_RuleOnResource(rule, node, resource, template))

    def _template_of(self, stack: cdk.Stack) -> StackTemplate:
        path = stack.node.path
        if path not in self._templates:
            self._templates[path] = StackTemplate(stack)
        return self._templates[path]


@jsii.implements(IApplyRule)
class _RuleOnResource:
    """One rule applied to one resource, in the shape cdk-nag's `applyRule` reads through jsii.

    jsii only sees members defined on the class, so each field is a property, not an instance attribute.
    """

    def __init__(self, rule: Rule, node: cdk.CfnResource, resource: Resource, template: StackTemplate) -> None:
        self._rule = rule
        self._node = node
        self._resource = resource
        self._template = template

    @property
    def node(self) -> cdk.CfnResource:
        return self._node

    @property
    def rule_suffix_override(self) -> str:
        return self._rule.name

    @property
    def info(self) -> str:
        return self._rule.info

    @property
    def explanation(self) -> str:
        return self._rule.explanation

    @property
    def level(self) -> NagMessageLevel:
        return NagMessageLevel.ERROR

    def rule(self, _node: cdk.CfnResource) -> NagRuleCompliance:
        return self._rule.judge(self._resource, self._template)
