"""A shared endpoint that hosts inference components: one model-less variant, scaled by SageMaker itself."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.endpoint_base import DEFAULT_VARIANT_NAME, EndpointBase, ImportedEndpoint, network_problems, vpc_config
from constructs.model_execution_role import ModelExecutionRole
from loadmaster.naming import is_sagemaker_name


class RoutingStrategy(Enum):
    LEAST_OUTSTANDING_REQUESTS = "LEAST_OUTSTANDING_REQUESTS"
    RANDOM = "RANDOM"


class InferenceComponentEndpoint(EndpointBase):
    """An endpoint whose variant names no model: inference components are placed on its instances.

    :param endpoint_name: the endpoint's name, used by the components and scaling policies placed on it.
    :param instance_type: the ML instance type of every instance, e.g. ``ml.g5.12xlarge``.
    :param initial_instance_count: instances at creation. Default: 1 (SageMaker needs one to start).
    :param min_instance_count: managed instance scaling's floor; 0 lets the endpoint scale to zero once every
        component has 0 copies. Default: 1.
    :param max_instance_count: managed instance scaling's ceiling. Default: ``initial_instance_count``.
    :param routing: how requests are spread over copies. Default: least outstanding requests.
    :param execution_role: the role the containers run with (set at the config level, as inference components
        require). Default: a new `ModelExecutionRole`.
    :param variant_name: Default: ``AllTraffic``.
    :param kms_key: encrypts the instances' storage volumes. SageMaker refuses a key on instance types with local
        NVMe storage (g5, g6, p4d, p5 among them: FACTS.md), so pass one only for the others. Default: none.
    :param subnets: the VPC subnets the instances run in. Default: none (SageMaker's network).
    :param security_groups: with `subnets`. Default: none.
    :param network_isolation: no outbound network calls from the containers. Default: False.
    :param ssm_access: SSM sessions into the containers. Default: False.

    Updates keep the instance count that managed scaling reached (``RetainAllVariantProperties``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        instance_type: str,
        initial_instance_count: int = 1,
        min_instance_count: int = 1,
        max_instance_count: int | None = None,
        routing: RoutingStrategy = RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
        execution_role: ModelExecutionRole | None = None,
        variant_name: str = DEFAULT_VARIANT_NAME,
        kms_key: kms.IKey | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        network_isolation: bool = False,
        ssm_access: bool = False,
    ) -> None:
        super().__init__(scope, id)
        max_instance_count = initial_instance_count if max_instance_count is None else max_instance_count
        _raise_if_invalid(endpoint_name, initial_instance_count, min_instance_count, max_instance_count, network_problems(subnets, security_groups))
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self.instance_type = instance_type
        self.execution_role = execution_role or ModelExecutionRole(self, "ExecutionRole")

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            execution_role_arn=self.execution_role.role_arn,
            kms_key_id=kms_key.key_arn if kms_key else None,
            vpc_config=vpc_config(sagemaker.CfnEndpointConfig.VpcConfigProperty, subnets, security_groups),
            enable_network_isolation=network_isolation,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant_name,
                    instance_type=instance_type,
                    initial_instance_count=initial_instance_count,
                    managed_instance_scaling=sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
                        status="ENABLED", min_instance_count=min_instance_count, max_instance_count=max_instance_count
                    ),
                    routing_config=sagemaker.CfnEndpointConfig.RoutingConfigProperty(routing_strategy=routing.value),
                    enable_ssm_access=ssm_access,
                )
            ],
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            retain_all_variant_properties=True,
        )

    @classmethod
    def from_endpoint_name(cls, scope: Construct, id: str, endpoint_name: str, variant_name: str = DEFAULT_VARIANT_NAME) -> EndpointBase:
        """An existing inference-component endpoint, to grant on or read metrics of."""
        return ImportedEndpoint(scope, id, endpoint_name=endpoint_name, variant_name=variant_name)


def _raise_if_invalid(endpoint_name: str, initial: int, minimum: int, maximum: int, problems: list[str]) -> None:
    if not is_sagemaker_name(endpoint_name):
        problems.append(f"endpoint_name {endpoint_name!r} is not a valid SageMaker name")
    if initial < 1:
        problems.append(f"initial_instance_count must be at least 1, got {initial}")
    if minimum < 0:
        problems.append(f"min_instance_count must be at least 0, got {minimum}")
    if not minimum <= maximum:
        problems.append(f"min_instance_count ({minimum}) is above max_instance_count ({maximum})")
    if not initial <= maximum:
        problems.append(f"initial_instance_count ({initial}) is above max_instance_count ({maximum})")
    if problems:
        raise ValueError("InferenceComponentEndpoint: " + "; ".join(problems))
