"""A customer-managed KMS key on every endpoint config whose instance type accepts one."""

from __future__ import annotations

from typing import Any

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import Resource, StackTemplate, runs_on_local_nvme


def kms_key_where_supported(resource: Resource, _template: StackTemplate) -> NagRuleCompliance:
    config = resource.properties
    if runs_on_local_nvme(config):  # SageMaker refuses a key there: no_kms_key_on_nvme_instances
        return NagRuleCompliance.NOT_APPLICABLE
    return NagRuleCompliance.COMPLIANT if _is_customer_managed(config.get("KmsKeyId")) else NagRuleCompliance.NON_COMPLIANT


def _is_customer_managed(key: Any) -> bool:
    # AWS managed keys are only ever named by their alias, alias/aws/<service>; a key of this stack is a reference.
    return key is not None and not (isinstance(key, str) and "alias/aws/" in key)


KMS_KEY_WHERE_SUPPORTED = Rule(
    name="KmsKeyWhereSupported",
    info="The endpoint config has no customer-managed KMS key although its instance type accepts one.",
    explanation="Without KmsKeyId SageMaker encrypts the ML storage volumes with an AWS owned key, which you can neither "
    "audit in CloudTrail nor revoke. Set KmsKeyId to a customer-managed key (the portfolio's kms_key_arn, or the key "
    "the hosting stack creates) on every endpoint config whose instance type has no local NVMe storage.",
    resource_types=frozenset({"AWS::SageMaker::EndpointConfig"}),
    check=kms_key_where_supported,
)
