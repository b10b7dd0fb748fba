"""The hybrid hosting stack: shared inference-component pools beside dedicated endpoints."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct
from constructs.dedicated_endpoint import DedicatedEndpoint
from constructs.endpoint_isolation import EndpointIsolation
from constructs.inference_component import InferenceComponent
from constructs.inference_component_endpoint import InferenceComponentEndpoint, RoutingStrategy
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.catalog import InstanceType
from loadmaster.plan import ComponentPlan, DedicatedPlan, DeploymentPlan, PoolPlan, ScalingPlan
from loadmaster.spec.base import Network
from policies.acknowledgements import acknowledge
from policies.loadmaster_pack import rule_id
from policies.rules.component_has_scaling_policy import COMPONENT_HAS_SCALING_POLICY
from policies.rules.dedicated_endpoint_has_scaling_policy import DEDICATED_ENDPOINT_HAS_SCALING_POLICY
from policies.scalable_capacity import ScalableCapacity
from policies.scale_from_zero import ScaleFromZero


class HostingStack(cdk.Stack):
    """Everything one set of pools and dedicated endpoints needs. Construct ids are model and pool names, so logical
    ids stay stable when models are added or reordered.

    Built whole from `pools` and `dedicated`, or piece by piece with `add_pool`, `add_component` and `add_dedicated`
    (how `stacks.partition` spreads a large portfolio over several stacks)."""

    def __init__(
        self, scope: Construct, id: str, *, pools: tuple[PoolPlan, ...] = (), dedicated: tuple[DedicatedPlan, ...] = (), kms_key_arn: str | None = None, **kwargs
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.units: list[str] = []  # what stacks.partition placed here: `pool:<name>`, `component:<model>`, `dedicated:<model>`
        self._kms_key_arn = kms_key_arn
        self._kms_key: kms.IKey | None = None
        for pool in pools:
            endpoint = self.add_pool(pool)
            for component in pool.components:
                self.add_component(pool, endpoint, component)
        for model in dedicated:
            self.add_dedicated(model)

    def add_pool(self, pool: PoolPlan) -> InferenceComponentEndpoint:
        """The pool's endpoint and execution role, without its components."""
        scope = self._pool_scope(pool)
        return InferenceComponentEndpoint(
            scope,
            "Endpoint",
            endpoint_name=pool.endpoint_name,
            instance_type=pool.instance_type.name,
            initial_instance_count=pool.instances.initial,
            min_instance_count=pool.instances.min,
            max_instance_count=pool.instances.max,
            routing=RoutingStrategy(pool.routing),
            isolation=self._isolation(scope, pool.instance_type, pool.network, pool.ssm_access),
        )

    def add_component(self, pool: PoolPlan, endpoint: InferenceComponentEndpoint, plan: ComponentPlan) -> InferenceComponent:
        """`plan` on the pool's `endpoint`, which may be in another stack of the app (a pool too large for one stack).
        The construct path is the same in either stack, so the logical ids are too."""
        component = InferenceComponent(
            self._pool_scope(pool),
            f"Component-{plan.model}" + _generation_suffix(plan.generation),
            endpoint=endpoint,
            component_name=plan.component_name,
            image=plan.container.image,
            artifact_url=plan.container.artifact,
            artifact_kms_key_arn=plan.container.artifact_kms_key_arn,
            environment=plan.container.environment,
            accelerators=plan.accelerators,
            memory_mb=plan.memory_mb,
            cpu_cores=plan.cpu_cores,
            copy_count=plan.copies.initial,
            model_download_timeout_s=plan.model_download_timeout_s,
            health_check_timeout_s=plan.health_check_timeout_s,
            guardrails=_guardrails(plan.deployment),
        )
        if plan.scaling is None:
            acknowledge(component, rule_id(COMPONENT_HAS_SCALING_POLICY), f"The portfolio sets scaling: none for {plan.model}: its copy count stays at {plan.copies.initial}.")
            return component
        capacity = ScalableCapacity.of_copies(
            component, "Scaling", component_name=plan.component_name, component=component.resource, min_copies=plan.copies.min, max_copies=plan.copies.max
        )
        _track(capacity, plan.scaling)
        if plan.scales_to_zero:
            ScaleFromZero(component, "ScaleFromZero", capacity=capacity, no_capacity_metric=component.metric_no_capacity_invocation_failures())
        return component

    def add_dedicated(self, plan: DedicatedPlan) -> DedicatedEndpoint:
        construct_id = f"Dedicated-{plan.model}" + _generation_suffix(plan.generation)
        endpoint = DedicatedEndpoint(
            self,
            construct_id,
            endpoint_name=plan.endpoint_name,
            image=plan.container.image,
            artifact_url=plan.container.artifact,
            artifact_kms_key_arn=plan.container.artifact_kms_key_arn,
            environment=plan.container.environment,
            instance_type=plan.instance_type.name,
            initial_instance_count=plan.instances.initial,
            guardrails=_guardrails(plan.deployment),
            isolation=self._isolation(self, plan.instance_type, plan.network, plan.ssm_access, name=construct_id),
        )
        if plan.scaling is None:
            acknowledge(endpoint, rule_id(DEDICATED_ENDPOINT_HAS_SCALING_POLICY), f"The portfolio sets scaling: none for {plan.model}: its instance count stays at {plan.instances.initial}.")
            return endpoint
        capacity = ScalableCapacity.of_instances(
            endpoint, "Scaling", endpoint_name=plan.endpoint_name, variant_name=endpoint.variant_name, endpoint=endpoint.endpoint,
            min_instances=plan.instances.min, max_instances=plan.instances.max,
        )
        _track(capacity, plan.scaling)
        return endpoint

    def _pool_scope(self, pool: PoolPlan) -> Construct:
        construct_id = f"Pool-{pool.name}" + _generation_suffix(pool.generation)
        return self.node.try_find_child(construct_id) or Construct(self, construct_id)


    def _isolation(self, scope: Construct, instance_type: InstanceType, network: Network | None, ssm_access: bool, name: str = "") -> EndpointIsolation:
        """An endpoint's isolation: a key wherever the instance type accepts one, the VPC and SSM if asked."""
        kms_key = None if instance_type.has_local_nvme else self._storage_key()
        if not network:
            return EndpointIsolation(kms_key=kms_key, ssm_access=ssm_access)
        return EndpointIsolation(
            kms_key=kms_key,
            subnets=[ec2.Subnet.from_subnet_id(scope, f"{name}Subnet{index}", subnet) for index, subnet in enumerate(network.subnets)],
            security_groups=[ec2.SecurityGroup.from_security_group_id(scope, f"{name}SecurityGroup{index}", group) for index, group in enumerate(network.security_groups)],
            network_isolation=network.isolation,
            ssm_access=ssm_access,
        )

    def _storage_key(self) -> kms.IKey:
        """One customer-managed key per stack for the storage of endpoints without local NVMe, or the portfolio's."""
        if self._kms_key is None:
            self._kms_key = (
                kms.Key.from_key_arn(self, "StorageKey", self._kms_key_arn)
                if self._kms_key_arn
                else kms.Key(self, "StorageKey", description="loadmaster: SageMaker endpoint storage", enable_key_rotation=True)
            )
        return self._kms_key


def _generation_suffix(generation: int) -> str:
    """Construct ids of a later generation differ, so CloudFormation creates it beside the old one (loadmaster.identity)."""
    return "" if generation == 1 else f"-v{generation}"


def _guardrails(deployment: DeploymentPlan) -> DeploymentGuardrails:
    return DeploymentGuardrails(
        batch_percent=deployment.batch_percent,
        wait=cdk.Duration.seconds(deployment.wait_s),
        rollback_errors_per_minute=deployment.rollback_errors_per_minute,
        rollback_latency=cdk.Duration.millis(deployment.rollback_latency_ms),
        blue_green=deployment.strategy == "blue-green",
    )


def _track(capacity: ScalableCapacity, scaling: ScalingPlan) -> None:
    capacity.track_metric(
        "TargetTracking",
        predefined_metric_type=scaling.metric.predefined_metric_type,
        target_value=scaling.target,
        scale_in_cooldown_s=scaling.scale_in_cooldown_s,
        scale_out_cooldown_s=scaling.scale_out_cooldown_s,
    )
