"""Where an endpoint's instances run, what encrypts their storage, and who may reach into them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms


@dataclass(frozen=True)
class EndpointIsolation:
    """Props shared by every endpoint construct.

    :param kms_key: encrypts the instances' storage volumes. SageMaker refuses a key on instance types with local
        NVMe storage (g5, g6, p4d, p5 among them: FACTS.md), so pass one only for the others. Default: none.
    :param subnets: the VPC subnets the instances run in. Default: none (SageMaker's network).
    :param security_groups: with `subnets`. Default: none.
    :param network_isolation: no outbound network calls from the containers. Default: False.
    :param ssm_access: SSM sessions into the containers. Default: False.
    """

    kms_key: kms.IKey | None = None
    subnets: Sequence[ec2.ISubnet] = ()
    security_groups: Sequence[ec2.ISecurityGroup] = ()
    network_isolation: bool = False
    ssm_access: bool = False

    def problems(self) -> list[str]:
        if bool(self.subnets) != bool(self.security_groups):
            return ["subnets and security_groups go together: a VPC needs both"]
        return []

    @property
    def kms_key_id(self) -> str | None:
        return self.kms_key.key_arn if self.kms_key else None

    def vpc_config(self, property_type: Any) -> Any:
        """`property_type(subnets=..., security_group_ids=...)` (endpoint config or model), or None without a VPC."""
        if not self.subnets:
            return None
        return property_type(subnets=[subnet.subnet_id for subnet in self.subnets], security_group_ids=[group.security_group_id for group in self.security_groups])
