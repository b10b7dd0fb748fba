"""Acknowledging a compliance finding in code, on the construct that owns the resource, with its reason."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

import aws_cdk as cdk
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept the finding `rule_id` (``AwsSolutions-IAM5[Resource::*]``, ``Loadmaster-ComponentHasScalingPolicy``)
    on `scope` and every resource under it.

    The id is qualified with its pack's name (``AwsSolutions::AwsSolutions-IAM5[...]``), as the synthesis report
    prints it: CDK then lists the finding with its reason among the acknowledged ones of validation-report.json.
    """
    pack = rule_id.split("-", 1)[0]
    _validations_of(scope).acknowledge(cdk.Acknowledgment(id=f"{pack}::{rule_id}", reason=reason))


_validations: WeakKeyDictionary = WeakKeyDictionary()


def _validations_of(scope: IConstruct) -> cdk.Validations:
    """`Validations.of(scope)`, looked up once per construct: an execution role acknowledges a finding per artifact."""
    if scope not in _validations:
        _validations[scope] = cdk.Validations.of(scope)
    return _validations[scope]


def wildcard_resource_finding(scope: IConstruct, resource: str) -> str:
    """The AwsSolutions-IAM5 finding cdk-nag reports for a policy resource with a `*`: a `Ref` is written
    ``<AWS::Partition>``, as cdk-nag's flattenCfnReference does."""
    return f"AwsSolutions-IAM5[Resource::{_flatten(cdk.Stack.of(scope).resolve(resource))}]"


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        delimiter, parts = value["Fn::Join"]
        return delimiter.join(map(_flatten, parts))
    if "Ref" in value:
        return f"<{value['Ref']}>"
    raise ValueError(f"cannot name the AwsSolutions-IAM5 finding of {value!r}")
