"""Scalable targets use Application Auto Scaling's service-linked role, never an IAM role of ours."""

from __future__ import annotations

import json

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import SCALABLE_TARGET, Resource, StackTemplate

SERVICE_LINKED_ROLE_PATH = ":role/aws-service-role/"


def scalable_target_has_no_role(resource: Resource, _template: StackTemplate) -> NagRuleCompliance:
    role = resource.properties.get("RoleARN")
    # A service-linked role's ARN keeps its path as text even when its partition or account is a reference.
    if role is None or SERVICE_LINKED_ROLE_PATH in json.dumps(role):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


SCALABLE_TARGET_HAS_NO_ROLE = Rule(
    name="ScalableTargetHasNoRole",
    info="The scalable target names an IAM role that is not Application Auto Scaling's service-linked role.",
    explanation="Application Auto Scaling uses AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint when RoleARN is "
    "left out. A role per target (what CDK's ScalableTarget creates unless given one) adds hundreds of roles with "
    "scaling permissions to review and to hit the IAM quota with. Leave RoleARN out "
    "(policies.scalable_capacity.ScalableCapacity).",
    resource_types=frozenset({SCALABLE_TARGET}),
    check=scalable_target_has_no_role,
)
