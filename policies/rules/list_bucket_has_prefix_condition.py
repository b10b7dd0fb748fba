"""Listing a bucket is limited to prefixes: an `s3:ListBucket` without an `s3:prefix` condition lists every key of
the bucket, the other teams' models included."""

from __future__ import annotations

from fnmatch import fnmatchcase

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import IAM_POLICY_TYPES, Resource, StackTemplate, permission_statements


def list_bucket_has_prefix_condition(resource: Resource, _template: StackTemplate) -> NagRuleCompliance:
    unlimited = [statement for statement in permission_statements(resource) if _allows_listing(statement) and not _limits_prefix(statement)]
    return NagRuleCompliance.NON_COMPLIANT if unlimited else NagRuleCompliance.COMPLIANT


def _allows_listing(statement: dict) -> bool:
    """Whether the statement allows s3:ListBucket, by name or by a wildcard (`s3:List*`, `s3:*`, `*`)."""
    actions = statement.get("Action", [])
    actions = actions if isinstance(actions, list) else [actions]
    # Action names are case-insensitive (IAM JSON policy elements reference, "Action").
    return statement.get("Effect") == "Allow" and any(isinstance(action, str) and fnmatchcase("s3:listbucket", action.lower()) for action in actions)


def _limits_prefix(statement: dict) -> bool:
    return any("s3:prefix" in keys for keys in statement.get("Condition", {}).values() if isinstance(keys, dict))


LIST_BUCKET_HAS_PREFIX_CONDITION = Rule(
    name="ListBucketHasPrefixCondition",
    info="An IAM policy allows s3:ListBucket without an s3:prefix condition.",
    explanation="Without the condition the role lists every key of the bucket. A model container needs to list its "
    "artifact's prefix only: add Condition StringLike s3:prefix [<prefix>*] for each prefix "
    "(constructs.model_execution_role.ModelExecutionRole.grant_artifact_read does).",
    resource_types=IAM_POLICY_TYPES,
    check=list_bucket_has_prefix_condition,
)
