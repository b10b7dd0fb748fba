"""IAM policies name ARNs in their stack's partition: `arn:aws:` written into a GovCloud or China stack grants
nothing there, and a managed policy named so is not found."""

from __future__ import annotations

import re
from typing import Any

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import IAM_POLICY_TYPES, Resource, StackTemplate

# `arn:<partition>:` with the partition written out; `arn:${AWS::Partition}:` is a reference, never matched.
_LITERAL_PARTITION = re.compile(r"\barn:(aws[a-z-]*):")
# Where IAM resources name ARNs: permissions, trust, attached managed policies, the permissions boundary.
_ARN_PROPERTIES = ("PolicyDocument", "Policies", "AssumeRolePolicyDocument", "ManagedPolicyArns", "PermissionsBoundary")


def iam_arns_in_stack_partition(resource: Resource, template: StackTemplate) -> NagRuleCompliance:
    if template.partition is None:  # a stack without a region deploys to any partition: nothing to compare with
        return NagRuleCompliance.NOT_APPLICABLE
    written = {partition for name in _ARN_PROPERTIES for partition in _literal_partitions(resource.properties.get(name))}
    return NagRuleCompliance.COMPLIANT if written <= {template.partition} else NagRuleCompliance.NON_COMPLIANT


def _literal_partitions(value: Any) -> list[str]:
    """Every partition written out in an ARN within `value` (strings, and the strings in its lists, objects and
    intrinsic functions such as `Fn::Join`)."""
    if isinstance(value, str):
        return _LITERAL_PARTITION.findall(value)
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [partition for item in value for partition in _literal_partitions(item)]
    return []


IAM_ARNS_IN_STACK_PARTITION = Rule(
    name="IamArnsInStackPartition",
    info="An IAM policy names an ARN of another partition than its stack's region.",
    explanation="A partition written out (arn:aws:...) grants nothing in GovCloud (aws-us-gov) or China (aws-cn), "
    "where the same resources are arn:aws-us-gov:... and arn:aws-cn:...; the deploy succeeds and the first use is "
    "denied. Build ARNs with Stack.format_arn or Arn.format, which take the stack's partition.",
    resource_types=IAM_POLICY_TYPES,
    check=iam_arns_in_stack_partition,
)
