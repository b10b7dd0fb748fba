"""The hosting stack: whatever units of the plan `stacks.partition` places in it, each built by its pattern's builder."""

from __future__ import annotations

from functools import cache

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct
from constructs.endpoint_isolation import EndpointIsolation
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.catalog import InstanceType
from loadmaster.plan import DeploymentPlan, NetworkPlan


class HostingStack(cdk.Stack):
    """Units of a plan: construct ids are model and pool names, so logical ids stay stable when models are added or
    reordered. The builders (`stacks.builders`) add the constructs; the stack holds what they share: one storage key."""

    def __init__(self, scope: Construct, id: str, *, kms_key_arn: str | None = None, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.placed: list[str] = []  # what stacks.partition placed here: `pool:<name>`, `component:<model>`, `dedicated:<model>`, ...
        self._kms_key_arn = kms_key_arn
        self._kms_key: kms.IKey | None = None
        self._scopes: dict[str, Construct] = {}

    def scope(self, construct_id: str) -> Construct:
        """The plain construct `construct_id` under this stack (a pool's), created on first use: kept in Python, as
        looking it up among the stack's children is a jsii round trip per component."""
        if construct_id not in self._scopes:
            self._scopes[construct_id] = Construct(self, construct_id)
        return self._scopes[construct_id]

    def isolation(self, scope: Construct, instance_type: InstanceType, network: NetworkPlan | None, ssm_access: bool, name: str = "") -> EndpointIsolation:
        """An endpoint's isolation: a key wherever the instance type accepts one, the VPC and SSM if asked."""
        kms_key = None if instance_type.has_local_nvme else self.storage_key()
        if not network:
            return EndpointIsolation(kms_key=kms_key, ssm_access=ssm_access)
        return EndpointIsolation(
            kms_key=kms_key,
            subnets=[ec2.Subnet.from_subnet_id(scope, f"{name}Subnet{index}", subnet) for index, subnet in enumerate(network.subnets)],
            security_groups=[ec2.SecurityGroup.from_security_group_id(scope, f"{name}SecurityGroup{index}", group) for index, group in enumerate(network.security_groups)],
            network_isolation=network.isolation,
            ssm_access=ssm_access,
        )

    def storage_key(self) -> kms.IKey:
        """One customer-managed key per stack for the storage of endpoints without local NVMe, or the portfolio's."""
        if self._kms_key is None:
            self._kms_key = (
                kms.Key.from_key_arn(self, "StorageKey", self._kms_key_arn)
                if self._kms_key_arn
                else kms.Key(self, "StorageKey", description="loadmaster: SageMaker endpoint storage", enable_key_rotation=True)
            )
        return self._kms_key


def generation_suffix(generation: int) -> str:
    """Construct ids of a later generation differ, so CloudFormation creates it beside the old one (loadmaster.identity)."""
    return "" if generation == 1 else f"-v{generation}"


def guardrails(deployment: DeploymentPlan) -> DeploymentGuardrails:
    return DeploymentGuardrails(
        batch_percent=deployment.batch_percent,
        wait=_seconds(deployment.wait_s),
        rollback_errors_per_minute=deployment.rollback_errors_per_minute,
        rollback_latency=_milliseconds(deployment.rollback_latency_ms),
        blue_green=deployment.strategy == "blue-green",
    )


# One Duration per length, shared by every model's guardrails: each is a jsii object.
_seconds = cache(cdk.Duration.seconds)
_milliseconds = cache(cdk.Duration.millis)

