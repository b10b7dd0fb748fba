"""What a loadmaster rule is: a check and the words cdk-nag reports when it fails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cdk_nag import NagRuleCompliance
from policies.rules.template import Resource, StackTemplate


@dataclass(frozen=True)
class Rule:
    """One compliance rule.

    :param name: the rule id's suffix: findings are reported as ``Loadmaster-<name>``.
    :param info: what is wrong with a non-compliant resource, one sentence.
    :param explanation: why the rule exists and how to comply.
    :param resource_types: the CloudFormation types it judges; it does not apply to others.
    :param check: the pure function that judges one resource of those types, reading the others from its template.
    """

    name: str
    info: str
    explanation: str
    resource_types: frozenset[str]
    check: Callable[[Resource, StackTemplate], NagRuleCompliance]

    def applies_to(self, resource: Resource) -> bool:
        return resource.type in self.resource_types

    def judge(self, resource: Resource, template: StackTemplate) -> NagRuleCompliance:
        return self.check(resource, template) if self.applies_to(resource) else NagRuleCompliance.NOT_APPLICABLE
