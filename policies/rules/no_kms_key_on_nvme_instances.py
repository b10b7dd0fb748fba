"""No KMS key on an endpoint config whose instances have local NVMe storage: SageMaker rejects it at deploy time."""

from __future__ import annotations

from cdk_nag import NagRuleCompliance
from policies.rules.rule import Rule
from policies.rules.template import Resource, StackTemplate, runs_on_local_nvme


def no_kms_key_on_nvme_instances(resource: Resource, _template: StackTemplate) -> NagRuleCompliance:
    config = resource.properties
    if not runs_on_local_nvme(config):
        return NagRuleCompliance.NOT_APPLICABLE
    return NagRuleCompliance.NON_COMPLIANT if "KmsKeyId" in config else NagRuleCompliance.COMPLIANT


NO_KMS_KEY_ON_NVME_INSTANCES = Rule(
    name="NoKmsKeyOnNvmeInstances",
    info="The endpoint config sets a KMS key on an instance type with local NVMe storage.",
    explanation="SageMaker refuses the endpoint with 'KMS key is not supported for NVMe instance storage' "
    "(aws/sagemaker-python-sdk issue 3677), so the deployment would fail and roll back. NVMe instance storage is "
    "encrypted by the hardware. Remove KmsKeyId from endpoint configs on these types (g5, g6, p4d, p5 families "
    "among them: the instance catalog's nvme_storage_gb).",
    resource_types=frozenset({"AWS::SageMaker::EndpointConfig"}),
    check=no_kms_key_on_nvme_instances,
)
