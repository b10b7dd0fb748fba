"""A shared endpoint that hosts inference components: one model-less variant, scaled by SageMaker itself."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct
from constructs.endpoint_base import DEFAULT_VARIANT_NAME, EndpointBase, ImportedEndpoint, endpoint_problems
from constructs.endpoint_isolation import EndpointIsolation
from constructs.model_execution_role import ModelExecutionRole
from loadmaster.plan import RoutingStrategy


class InferenceComponentEndpoint(EndpointBase):
    """An endpoint whose variant names no model: inference components are placed on its instances.

    :param endpoint_name: the endpoint's name, used by the components and scaling policies placed on it.
    :param instance_type: the ML instance type of every instance, e.g. ``ml.g5.12xlarge``.
    :param initial_instance_count: instances at creation. Default: 1 (SageMaker needs one to start).
    :param min_instance_count: managed instance scaling's floor; 0 lets the endpoint scale to zero once every
        component has 0 copies. Default: 1.
    :param max_instance_count: managed instance scaling's ceiling. Default: ``initial_instance_count``.
    :param routing: how requests are spread over copies. Default: least outstanding requests.
    :param isolation: KMS key, VPC, network isolation and SSM access. Default: none of them.

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
        isolation: EndpointIsolation = EndpointIsolation(),
    ) -> None:
        super().__init__(scope, id)
        max_instance_count = initial_instance_count if max_instance_count is None else max_instance_count
        _raise_if_invalid(endpoint_name, initial_instance_count, min_instance_count, max_instance_count, isolation.problems())
        self.endpoint_name = endpoint_name
        self.variant_name = DEFAULT_VARIANT_NAME
        self.instance_type = instance_type
        # The role the containers run with, set at the config level as inference components require.
        self.execution_role = ModelExecutionRole(self, "ExecutionRole")

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            execution_role_arn=self.execution_role.role_arn,
            kms_key_id=isolation.kms_key_id,
            vpc_config=isolation.vpc_config(sagemaker.CfnEndpointConfig.VpcConfigProperty),
            enable_network_isolation=isolation.network_isolation,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=self.variant_name,
                    instance_type=instance_type,
                    initial_instance_count=initial_instance_count,
                    managed_instance_scaling=sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
                        status="ENABLED", min_instance_count=min_instance_count, max_instance_count=max_instance_count
                    ),
                    routing_config=sagemaker.CfnEndpointConfig.RoutingConfigProperty(routing_strategy=routing.value),
                    enable_ssm_access=isolation.ssm_access,
                )
            ],
        )
        self.endpoint = self._create_endpoint()

    @classmethod
    def from_endpoint_name(cls, scope: Construct, id: str, endpoint_name: str, variant_name: str = DEFAULT_VARIANT_NAME) -> EndpointBase:
        """An existing inference-component endpoint, to grant on or read metrics of."""
        return ImportedEndpoint(scope, id, endpoint_name=endpoint_name, variant_name=variant_name)


def _raise_if_invalid(endpoint_name: str, initial: int, minimum: int, maximum: int, problems: list[str]) -> None:
    problems += endpoint_problems(endpoint_name, initial)
    if minimum < 0:
        problems.append(f"min_instance_count must be at least 0, got {minimum}")
    if not minimum <= maximum:
        problems.append(f"min_instance_count ({minimum}) is above max_instance_count ({maximum})")
    if not initial <= maximum:
        problems.append(f"initial_instance_count ({initial}) is above max_instance_count ({maximum})")
    if problems:
        raise ValueError("InferenceComponentEndpoint: " + "; ".join(problems))
