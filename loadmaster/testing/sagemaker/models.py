"""moto's SageMaker backend with inference components, model-less endpoint configs and current instance types.

Written as an upstream change to `moto/sagemaker/models.py` would be: a backend subclass, model classes and their
CloudFormation support. moto finds this module's `urls.py` from the backend's module name, as for its own services.
Messages quoted from SageMaker are cited in FACTS.md; where the real text is not known the message says what is
wrong in SageMaker's style and a comment says so.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

import botocore.session
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import (
    FakeEndpoint,
    FakeEndpointConfig,
    SageMakerModelBackend,
    sagemaker_backends,
)
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from loadmaster.catalog import load_catalog
from loadmaster.limits import MIN_CPU_CORES_PER_COPY, MIN_MEMORY_PER_COPY_MB
from loadmaster.testing.cloudformation import ExtensionModel
from loadmaster.testing.sagemaker.multi_container import DIRECT, Model, containers_must_be_valid, invocation_mode
from loadmaster.testing.placement import CopyRequirements, Fleet, NotEnoughHardware
from loadmaster.testing.status import Transition
from loadmaster.testing.sagemaker.transform_jobs import TransformJobs

VARIANT_DEFAULTS = {"InitialInstanceCount": 1}
PAGINATION_MODEL = {
    "list_inference_components": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 10,
        "unique_attribute": "arn",
    },
}


@cache
def production_variant_instance_types() -> tuple[str, ...]:
    """Every instance type SageMaker hosting accepts, from botocore's service model (moto's own list is years old)."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    return tuple(model.shape_for("ProductionVariantInstanceType").enum)


@cache
def serverless_config_limits() -> dict[str, tuple[int, int]]:
    """Each ServerlessConfig member's (min, max), from botocore's service model."""
    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("ProductionVariantServerlessConfig")
    return {name: (member.metadata["min"], member.metadata["max"]) for name, member in shape.members.items()}


def concurrency_must_be_valid(serverless_config: dict[str, Any]) -> None:
    """MaxConcurrency and ProvisionedConcurrency within botocore's bounds, and ProvisionedConcurrency at most
    MaxConcurrency (SageMaker API reference, ProductionVariantServerlessConfig)."""
    limits = serverless_config_limits()
    for key, field in (("MaxConcurrency", "maxConcurrency"), ("ProvisionedConcurrency", "provisionedConcurrency")):
        value = serverless_config.get(key)
        if value is None:
            continue
        low, high = limits[key]
        if value < low:
            raise _constraint_error(value, f"serverlessConfig.{field}", f"Member must have value greater than or equal to {low}")
        if value > high:
            raise _constraint_error(value, f"serverlessConfig.{field}", f"Member must have value less than or equal to {high}")
    provisioned, maximum = serverless_config.get("ProvisionedConcurrency"), serverless_config["MaxConcurrency"]
    if provisioned is not None and provisioned > maximum:
        # Real text unknown; the API reference says ProvisionedConcurrency "should be less than or equal to MaxConcurrency".
        raise ValidationError(f"ProvisionedConcurrency ({provisioned}) must be less than or equal to MaxConcurrency ({maximum}).")


def _constraint_error(value: Any, where: str, constraint: str) -> ValidationError:
    # The wording of AWS's request validation, as moto uses it elsewhere.
    return ValidationError(f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: {constraint}")


@cache
def _sagemaker_shape(name: str) -> Any:
    return botocore.session.get_session().get_service_model("sagemaker").shape_for(name)


def validate_async_inference_config(config: dict[str, Any] | None) -> None:
    """AsyncInferenceConfig as SageMaker's request validation checks it, against botocore's shapes (their patterns,
    range and enum, which botocore itself does not check and CloudFormation does not send through botocore)."""
    if not config:
        return
    where = "asyncInferenceConfig"
    output = config.get("OutputConfig") or {}
    for key, field in (("S3OutputPath", "s3OutputPath"), ("S3FailurePath", "s3FailurePath")):
        _must_match(output.get(key), f"{where}.outputConfig.{field}", "DestinationS3Uri")
    notification = output.get("NotificationConfig") or {}
    for key, field in (("SuccessTopic", "successTopic"), ("ErrorTopic", "errorTopic")):
        _must_match(notification.get(key), f"{where}.outputConfig.notificationConfig.{field}", "SnsTopicArn")
    topic_types = _sagemaker_shape("AsyncNotificationTopicTypes").enum
    for topic_type in notification.get("IncludeInferenceResponseIn", []):
        if topic_type not in topic_types:
            raise _constraint_error(topic_type, f"{where}.outputConfig.notificationConfig.includeInferenceResponseIn", f"Member must satisfy enum value set: [{', '.join(topic_types)}]")
    concurrency = (config.get("ClientConfig") or {}).get("MaxConcurrentInvocationsPerInstance")
    limits = _sagemaker_shape("MaxConcurrentInvocationsPerInstance").metadata
    field = f"{where}.clientConfig.maxConcurrentInvocationsPerInstance"
    if concurrency is not None and concurrency < limits["min"]:
        raise _constraint_error(concurrency, field, f"Member must have value greater than or equal to {limits['min']}")
    if concurrency is not None and concurrency > limits["max"]:
        raise _constraint_error(concurrency, field, f"Member must have value less than or equal to {limits['max']}")


def _must_match(value: str | None, where: str, shape: str) -> None:
    pattern = _sagemaker_shape(shape).metadata["pattern"]
    if value is not None and not re.match(pattern, value):
        raise _constraint_error(value, where, f"Member must satisfy regular expression pattern: {pattern}")


def shadow_variants_must_be_valid(production_variants: list[dict[str, Any]], shadow_variants: list[dict[str, Any]]) -> None:
    """With ShadowProductionVariants, exactly one production variant and one shadow variant, each serving a model, every
    variant name once (SageMaker API reference, CreateEndpointConfig). The service's wording is not known to us."""
    if not shadow_variants:
        return
    if len(production_variants) != 1 or len(shadow_variants) != 1:
        raise ValidationError(
            f"With ShadowProductionVariants, specify exactly one production variant and one shadow variant, got {len(production_variants)} and {len(shadow_variants)}."
        )
    if any("ModelName" not in variant for variant in shadow_variants):
        raise ValidationError("A shadow variant serves a model: it needs a ModelName.")
    names = [variant["VariantName"] for variant in production_variants + shadow_variants]
    if len(set(names)) != len(names):
        raise ValidationError(f"Variant names must be unique across production and shadow variants, got {', '.join(names)}.")


def _hosts_inference_components(variant: dict[str, Any]) -> bool:
    return "ModelName" not in variant and "ServerlessConfig" not in variant


def _instance_type(variant: dict[str, Any]) -> str:
    """The variant's instance type; of a heterogeneous variant (`InstancePools`), its first-priority pool's:
    SageMaker provisions from the pools in order of priority, 1 first, and offline every instance is available
    (SageMaker API reference, InstancePool)."""
    if "InstanceType" in variant:
        return variant["InstanceType"]
    return min(variant["InstancePools"], key=lambda pool: pool["Priority"])["InstanceType"]


class EndpointConfig(FakeEndpointConfig, ExtensionModel):
    """An endpoint config that also takes model-less variants, `ManagedInstanceScaling`, `RoutingConfig` and a
    config-level `ExecutionRoleArn`, and validates instance types against botocore."""

    def __init__(self, *, execution_role_arn: str | None, shadow_production_variants: list[dict[str, Any]] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.execution_role_arn = execution_role_arn
        # None leaves ShadowProductionVariants out of DescribeEndpointConfig's answer, as for a config without one.
        self.shadow_production_variants = shadow_production_variants or None

    def validate_production_variants(self, production_variants: list[dict[str, Any]]) -> None:
        # moto knows only InstanceType and ServerlessConfig; a heterogeneous variant names its types in InstancePools.
        heterogeneous = [variant for variant in production_variants if "InstancePools" in variant and "InstanceType" not in variant]
        for variant in heterogeneous:
            for pool in variant["InstancePools"]:
                self.validate_instance_type(pool["InstanceType"])
        super().validate_production_variants([variant for variant in production_variants if variant not in heterogeneous])

    def validate_serverless_config(self, serverless_config: dict[str, Any]) -> None:
        """moto checks the memory size; SageMaker also requires MaxConcurrency and bounds both concurrencies
        (botocore's ProductionVariantServerlessConfig: 1..200 each), ProvisionedConcurrency by MaxConcurrency
        (SageMaker API reference, ProductionVariantServerlessConfig). botocore checks minimums client side, not
        maximums, and a CloudFormation template reaches the backend unchecked."""
        for key, field in (("MemorySizeInMB", "memorySizeInMB"), ("MaxConcurrency", "maxConcurrency")):
            if key not in serverless_config:
                raise _constraint_error(None, f"serverlessConfig.{field}", "Member must not be null")
        super().validate_serverless_config(serverless_config)
        concurrency_must_be_valid(serverless_config)

    def validate_instance_type(self, instance_type: str) -> None:
        allowed = production_variant_instance_types()
        if instance_type not in allowed:
            raise _constraint_error(instance_type, "instanceType", f"Member must satisfy enum value set: [{', '.join(allowed)}]")

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "EndpointConfig":
        properties = cloudformation_json["Properties"]
        return sagemaker_backends[account_id][region_name].create_endpoint_config(
            endpoint_config_name=properties.get("EndpointConfigName", resource_name),
            production_variants=properties["ProductionVariants"],
            data_capture_config=properties.get("DataCaptureConfig", {}),
            async_inference_config=properties.get("AsyncInferenceConfig", {}),
            kms_key_id=properties.get("KmsKeyId"),
            tags=properties.get("Tags", []),
            execution_role_arn=properties.get("ExecutionRoleArn"),
            shadow_production_variants=properties.get("ShadowProductionVariants"),
        )


class Endpoint(FakeEndpoint, ExtensionModel):
    """An endpoint whose model-less variants run a fleet of instances on which inference component copies are placed."""

    def __init__(self, config: EndpointConfig, **kwargs: Any):
        super().__init__(production_variants=config.production_variants, **kwargs)
        # A shadow variant runs its instances like a production variant (DescribeEndpoint lists it apart); None: none.
        self.shadow_production_variants = self._process_production_variants(config.shadow_production_variants) if config.shadow_production_variants else None
        pools = [variant for variant in config.production_variants if _hosts_inference_components(variant)]
        self.pool_instance_types = {variant["VariantName"]: _instance_type(variant) for variant in pools}
        self.instance_pools = {variant["VariantName"]: variant["InstancePools"] for variant in pools if "InstancePools" in variant}
        self.fleets = {variant["VariantName"]: _launch_fleet(variant) for variant in pools if _instance_type(variant) in load_catalog()}
        # DescribeEndpoint shows the config's (botocore's DescribeEndpointOutput); None leaves it out of the answer.
        self.async_inference_config = config.async_inference_config or None
        self.transition = Transition("Creating")

    def _process_production_variants(self, production_variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
        summaries = super()._process_production_variants(production_variants)
        for summary, variant in zip(summaries, production_variants):
            summary.update({key: variant[key] for key in ("ManagedInstanceScaling", "RoutingConfig") if key in variant})
        return summaries

    def summary(self) -> dict[str, Any]:
        return {**super().summary(), "EndpointStatus": self.transition.current}

    @property
    def response_object(self) -> dict[str, Any]:  # type: ignore[misc]
        """DescribeEndpoint's answer; each one brings a transition a step closer to InService."""
        response = super().response_object
        for internal in ("Fleets", "PoolInstanceTypes", "InstancePools", "Transition"):
            response.pop(internal, None)
        if response.get("ShadowProductionVariants") is None:
            response.pop("ShadowProductionVariants", None)
        without_unset_structures(response, "DataCaptureConfig")
        response["EndpointStatus"] = self.transition.describe()
        response["ProductionVariants"] = [dict(variant) for variant in response["ProductionVariants"]]
        for variant in response["ProductionVariants"]:
            fleet = self.fleets.get(variant["VariantName"])
            if fleet is not None:
                variant["CurrentInstanceCount"] = variant["DesiredInstanceCount"] = len(fleet.instances)
            if variant["VariantName"] in self.instance_pools:
                variant["InstancePools"] = [
                    {"InstanceType": pool["InstanceType"], "CurrentInstanceCount": len(fleet.instances) if fleet and pool["InstanceType"] == fleet.instance_type.name else 0}
                    for pool in self.instance_pools[variant["VariantName"]]
                ]
        return response

    def fleet(self, variant_name: str) -> Fleet:
        if variant_name not in self.pool_instance_types:
            # Real text unknown: SageMaker refuses components on variants that are missing or serve a model.
            raise ValidationError(
                f'Variant "{variant_name}" of endpoint "{self.endpoint_name}" cannot host inference components: '
                "it does not exist or its endpoint configuration gives it a ModelName."
            )
        if variant_name not in self.fleets:
            raise NotImplementedError(
                f"loadmaster.testing cannot place copies on {self.pool_instance_types[variant_name]}: "
                "the instance catalog does not know its capacity"
            )
        return self.fleets[variant_name]

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "Endpoint":
        properties = cloudformation_json["Properties"]
        return sagemaker_backends[account_id][region_name].create_endpoint(
            endpoint_name=properties.get("EndpointName", resource_name),
            endpoint_config_name=properties["EndpointConfigName"],
            tags=properties.get("Tags", []),
        )

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "Endpoint", new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> "Endpoint":
        # A new EndpointConfigName updates the endpoint in place (UpdateEndpoint), as CloudFormation does; moto's own
        # model deletes and recreates it, which SageMaker refuses while inference components are attached.
        backend = sagemaker_backends[account_id][region_name]
        return backend.update_endpoint(original_resource.endpoint_name, cloudformation_json["Properties"]["EndpointConfigName"])


def _now() -> datetime:
    """The time as SageMaker answers it, to the millisecond: a time a caller read from an answer and passes back
    (`CreationTimeAfter`, say) is then the resource's own, not a moment before it."""
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _specification_summary(specification: dict[str, Any]) -> dict[str, Any]:
    """A specification as DescribeInferenceComponent shows it: the container's image as `DeployedImage`."""
    summary = {key: value for key, value in specification.items() if key != "Container"}
    if "Container" in specification:
        container = dict(specification["Container"])
        if "Image" in container:  # an adapter's container has only its ArtifactUrl
            container["DeployedImage"] = {"SpecifiedImage": container.pop("Image")}
        summary["Container"] = container
    return summary


def _launch_fleet(variant: dict[str, Any]) -> Fleet:
    catalog = load_catalog()
    variant = {**VARIANT_DEFAULTS, **variant}
    initial = variant["InitialInstanceCount"]
    scaling = variant.get("ManagedInstanceScaling", {})
    instance_type = catalog[_instance_type(variant)]
    if scaling.get("Status") == "ENABLED":
        return Fleet.launch(instance_type, initial, scaling.get("MinInstanceCount", initial), scaling.get("MaxInstanceCount", initial))
    return Fleet.launch(instance_type, initial, initial, initial)


class FakeInferenceComponent(ExtensionModel):
    resource_type = "AWS::SageMaker::InferenceComponent"
    name_property = "InferenceComponentName"

    def __init__(
        self,
        account_id: str,
        region_name: str,
        name: str,
        endpoint: Endpoint,
        variant_name: str,
        specification: dict[str, Any],
        copy_count: int,
        tags: list[dict[str, str]],
        specifications: list[dict[str, Any]] | None = None,
    ):
        self.name = name
        self.arn = arn_formatter("inference-component", name, account_id, region_name)
        self.endpoint = endpoint
        self.variant_name = variant_name
        self.specification = specification  # in effect: the one of `specifications` for the variant's instance type
        self.specifications = specifications
        self.desired_copy_count = copy_count
        self.tags = tags or []
        self.transition = Transition("Creating")
        self.last_deployment_config: dict[str, Any] | None = None
        self.creation_time = self.last_modified_time = _now()

    @property
    def status(self) -> str:
        return self.transition.current

    @property
    def base(self) -> str | None:
        """The component an adapter runs on (`BaseInferenceComponentName`); None for a component of its own."""
        return self.specification.get("BaseInferenceComponentName")

    def current_copy_count(self) -> int:
        """Copies placed; an adapter serves on its base component's copies."""
        return self.endpoint.fleets[self.variant_name].copies_of(self.base or self.name)

    def summary(self) -> dict[str, Any]:
        return {
            "InferenceComponentName": self.name,
            "InferenceComponentArn": self.arn,
            "EndpointName": self.endpoint.endpoint_name,
            "EndpointArn": self.endpoint.arn,
            "VariantName": self.variant_name,
            "InferenceComponentStatus": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }

    def describe(self) -> dict[str, Any]:
        """DescribeInferenceComponent's answer; each one brings a transition a step closer to InService."""
        fleet = self.endpoint.fleets[self.variant_name]
        current = self.current_copy_count()
        described = {**self.summary(), "InferenceComponentStatus": self.transition.describe()}
        if self.specifications is None:
            described["Specification"] = _specification_summary(self.specification)
        else:
            described["Specifications"] = [_specification_summary(specification) for specification in self.specifications]
        if self.base is None:  # an adapter has no copies of its own, nor a RuntimeConfig
            described["RuntimeConfig"] = {
                "DesiredCopyCount": self.desired_copy_count,
                "CurrentCopyCount": current,
                "PlacementStatus": [{"InstanceType": fleet.instance_type.name, "CurrentCopyCount": current}] if current else [],
            }
        if self.last_deployment_config is not None:
            described["LastDeploymentConfig"] = self.last_deployment_config
        return described

    @property
    def physical_resource_id(self) -> str:
        return self.arn  # Ref on an inference component gives its ARN (FACTS.md)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("InferenceComponentArn", "InferenceComponentStatus", "EndpointArn")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        attributes = {"InferenceComponentArn": self.arn, "InferenceComponentStatus": self.status, "EndpointArn": self.endpoint.arn}
        if attribute_name not in attributes:
            raise UnformattedGetAttTemplateException()
        return attributes[attribute_name]

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "FakeInferenceComponent":
        properties = cloudformation_json["Properties"]
        return sagemaker_backends[account_id][region_name].create_inference_component(
            name=resource_name,
            endpoint_name=properties["EndpointName"],
            variant_name=properties.get("VariantName"),
            specification=properties.get("Specification", {}),
            runtime_config=properties.get("RuntimeConfig", {}),
            tags=properties.get("Tags", []),
        )

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: "FakeInferenceComponent",
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> "FakeInferenceComponent":
        # Every property updates without interruption (FACTS.md); a new name makes a new component.
        properties = cloudformation_json["Properties"]
        name = properties.get("InferenceComponentName", original_resource.name)
        if name != original_resource.name:
            component = cls.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)
            cls.delete_from_cloudformation_json(original_resource.arn, cloudformation_json, account_id, region_name)
            return component
        return sagemaker_backends[account_id][region_name].update_inference_component(
            name=original_resource.name,
            specification=properties.get("Specification"),
            runtime_config=properties.get("RuntimeConfig"),
        )

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        sagemaker_backends[account_id][region_name].delete_inference_component(resource_name.split("/")[-1])


class SageMakerBackend(TransformJobs, SageMakerModelBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.add_extension_state()

    def add_extension_state(self) -> None:
        """What this backend holds beyond moto's; `install` also calls it on a moto backend it turns into this class."""
        self.inference_components: dict[str, FakeInferenceComponent] = {}

    def _get_resource_from_arn(self, arn: str) -> Any:
        # moto's lookup for AddTags, ListTags and DeleteTags does not know inference components.
        kind, _, name = arn.split(":")[-1].partition("/")
        if kind == "inference-component":
            return self._component(name)
        return super()._get_resource_from_arn(arn)

    # Models

    def create_model(  # type: ignore[override]
        self,
        model_name: str,
        execution_role_arn: str,
        primary_container: dict[str, Any] | None,
        vpc_config: dict[str, Any] | None,
        containers: list[dict[str, Any]] | None,
        tags: list[dict[str, str]] | None,
        inference_execution_config: dict[str, Any] | None = None,
        enable_network_isolation: bool = False,
    ) -> Model:
        containers_must_be_valid(primary_container, containers, inference_execution_config)
        model = Model(
            account_id=self.account_id,
            region_name=self.region_name,
            model_name=model_name,
            execution_role_arn=execution_role_arn,
            primary_container=primary_container or {},
            vpc_config=vpc_config or {},
            containers=containers or [],
            tags=tags or [],
            inference_execution_config=inference_execution_config,
            enable_network_isolation=enable_network_isolation,
        )
        self._models[model_name] = model
        return model

    # Endpoint configs and endpoints

    def create_endpoint_config(  # type: ignore[override]
        self,
        endpoint_config_name: str,
        production_variants: list[dict[str, Any]],
        data_capture_config: dict[str, Any],
        async_inference_config: dict[str, Any],
        tags: list[dict[str, str]],
        kms_key_id: str,
        execution_role_arn: str | None = None,
        shadow_production_variants: list[dict[str, Any]] | None = None,
    ) -> EndpointConfig:
        if endpoint_config_name in self.endpoint_configs:
            arn = EndpointConfig.arn_formatter(endpoint_config_name, self.account_id, self.region_name)
            raise ValidationError(f'Cannot create already existing endpoint configuration "{arn}".')
        for variant in production_variants:
            if _hosts_inference_components(variant) and not execution_role_arn:
                # Real text unknown; the requirement is reported in stdapi-ai/stdapi.ai issue 43 (FACTS.md).
                raise ValidationError(
                    f'ExecutionRoleArn is required: variant "{variant["VariantName"]}" has no ModelName, so it hosts inference components.'
                )
            if "ManagedInstanceScaling" in variant and not _hosts_inference_components(variant):
                # Real text unknown; managed instance scaling is only accepted on inference-component endpoints (FACTS.md).
                raise ValidationError(
                    f'ManagedInstanceScaling is only supported for inference components: variant "{variant["VariantName"]}" has a ModelName.'
                )
        self.validate_production_variants([variant for variant in production_variants if "ModelName" in variant])
        self._direct_invocation_on_cpu_only(production_variants)
        validate_async_inference_config(async_inference_config)
        shadow_variants_must_be_valid(production_variants, shadow_production_variants or [])
        endpoint_config = EndpointConfig(
            account_id=self.account_id,
            region_name=self.region_name,
            endpoint_config_name=endpoint_config_name,
            production_variants=production_variants,
            async_inference_config=async_inference_config,
            data_capture_config=data_capture_config,
            tags=tags,
            kms_key_id=kms_key_id,
            execution_role_arn=execution_role_arn,
            shadow_production_variants=shadow_production_variants,
        )
        if shadow_production_variants:
            endpoint_config.validate_production_variants(shadow_production_variants)
        self.endpoint_configs[endpoint_config_name] = endpoint_config
        return endpoint_config

    def _direct_invocation_on_cpu_only(self, production_variants: list[dict[str, Any]]) -> None:
        """A model with direct invocation runs on CPU instances only (docs/aws-facts.md, "Multi-container endpoints and
        serial pipelines"). Real text unknown."""
        catalog = load_catalog()
        for variant in production_variants:
            model = self._models.get(variant.get("ModelName", ""))
            instance_type = variant.get("InstanceType")
            if model is not None and invocation_mode(model) == DIRECT and instance_type in catalog and catalog[instance_type].accelerators:
                raise ValidationError(f"Multi-container endpoints with direct invocation are not supported for instance type {instance_type}.")

    def create_endpoint(self, endpoint_name: str, endpoint_config_name: str, tags: list[dict[str, str]]) -> Endpoint:
        if endpoint_name in self.endpoints:
            arn = Endpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
            raise ValidationError(f'Cannot create already existing endpoint "{arn}".')
        endpoint = self._launch_endpoint(endpoint_name, endpoint_config_name, tags)
        self.endpoints[endpoint_name] = endpoint
        return endpoint

    def update_endpoint(self, endpoint_name: str, endpoint_config_name: str) -> Endpoint:
        """Move the endpoint to another config, placing its components on the new fleets or changing nothing."""
        endpoint = self._endpoint(endpoint_name)
        updated = self._launch_endpoint(endpoint_name, endpoint_config_name, endpoint.tags)
        self._refuse_instance_type_changes(endpoint, updated)
        updated.creation_time = endpoint.creation_time
        updated.transition.start("Updating")
        components = self._components_on(endpoint_name)
        for component in components:
            if component.specifications is not None:
                component.specification = _specification_in_effect(updated.fleet(component.variant_name), None, component.specifications)
            if component.base is None:
                self._place(updated, component.variant_name, component.name, component.specification, component.desired_copy_count)
        for component in components:
            component.endpoint = updated
        self.endpoints[endpoint_name] = updated
        self.instances_changed(endpoint_name)
        return updated

    def update_endpoint_weights_and_capacities(self, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]) -> str:
        """moto sets each variant's weight and instance count; a serverless variant is updated by its
        `ServerlessUpdateConfig` instead (MaxConcurrency, ProvisionedConcurrency), which is how Application Auto
        Scaling moves provisioned concurrency (botocore's DesiredWeightAndCapacity)."""
        endpoint = self.endpoints.get(endpoint_name)
        serverless = {variant["VariantName"]: variant for variant in endpoint.production_variants if "CurrentServerlessConfig" in variant} if endpoint else {}
        updates = [(serverless[desired["VariantName"]], desired) for desired in desired_weights_and_capacities if desired.get("VariantName") in serverless]
        updated_configs = [{**variant["CurrentServerlessConfig"], **desired.get("ServerlessUpdateConfig", {})} for variant, desired in updates]
        for config in updated_configs:
            concurrency_must_be_valid(config)  # before anything changes: the request fails as a whole
        others = [desired for desired in desired_weights_and_capacities if desired.get("VariantName") not in serverless]
        arn = super().update_endpoint_weights_and_capacities(endpoint_name, others) if others or not updates else endpoint.arn
        for (variant, desired), config in zip(updates, updated_configs):
            # A copy each: moto shares one dict between both keys and the endpoint config, which keeps its own.
            variant["CurrentServerlessConfig"], variant["DesiredServerlessConfig"] = config, dict(config)
            if "DesiredWeight" in desired:
                variant["CurrentWeight"] = variant["DesiredWeight"] = desired["DesiredWeight"]
        return arn

    def _refuse_instance_type_changes(self, endpoint: Endpoint, updated: Endpoint) -> None:
        """SageMaker refuses an update that changes the instance type of a variant registered with Application Auto
        Scaling ("Update endpoints that use auto scaling", SageMaker developer guide: deregister it first), and of an
        endpoint that hosts inference components (reported: aws-samples/sample-auto-extract-ai-ocr-app PR 66, which
        puts the instance type into logical ids so that the endpoint is replaced instead). Both texts are ours: the
        real ones are not public."""
        from moto.applicationautoscaling.models import applicationautoscaling_backends

        targets = applicationautoscaling_backends[self.account_id][self.region_name].targets.get("sagemaker:variant:DesiredInstanceCount", {})
        new_types = {variant["VariantName"]: variant.get("InstanceType") for variant in self.endpoint_configs[updated.endpoint_config_name].production_variants}
        for variant in self.endpoint_configs[endpoint.endpoint_config_name].production_variants:
            name, old_type = variant["VariantName"], variant.get("InstanceType")
            if name not in new_types or new_types[name] == old_type:
                continue
            if f"endpoint/{endpoint.endpoint_name}/variant/{name}" in targets:
                raise ValidationError(
                    f"The instance type of variant {name} of endpoint {endpoint.endpoint_name} cannot change from {old_type} to "
                    f"{new_types[name]} while the variant is registered as a scalable target: deregister it first."
                )
            if self._components_on(endpoint.endpoint_name):
                raise ValidationError(
                    f"The instance type of endpoint {endpoint.endpoint_name} cannot change from {old_type} to {new_types[name]} "
                    f"while it hosts inference components."
                )

    def _launch_endpoint(self, endpoint_name: str, endpoint_config_name: str, tags: list[dict[str, str]]) -> Endpoint:
        self.describe_endpoint_config(endpoint_config_name)  # raises moto's "Could not find endpoint configuration"
        config = self.endpoint_configs[endpoint_config_name]
        return Endpoint(
            config,
            account_id=self.account_id,
            region_name=self.region_name,
            endpoint_name=endpoint_name,
            endpoint_config_name=endpoint_config_name,
            data_capture_config=config.data_capture_config,
            tags=tags,
        )

    def delete_endpoint(self, endpoint_name: str) -> None:
        if self._components_on(endpoint_name):
            raise ValidationError("Cannot delete endpoint with inference component associated")  # FACTS.md
        super().delete_endpoint(endpoint_name)
        self._runtime().forget_endpoint(endpoint_name)

    def instances_changed(self, endpoint_name: str) -> None:
        """An asynchronous endpoint that has instances again processes the requests it queued meanwhile."""
        self._runtime().process_async_backlog(endpoint_name)

    def _runtime(self) -> Any:
        from moto.sagemakerruntime.models import sagemakerruntime_backends

        return sagemakerruntime_backends[self.account_id][self.region_name]

    def _endpoint(self, endpoint_name: str) -> Endpoint:
        self.describe_endpoint(endpoint_name)  # raises moto's "Could not find endpoint"
        return self.endpoints[endpoint_name]  # type: ignore[return-value]

    # Inference components

    def create_inference_component(
        self,
        name: str,
        endpoint_name: str,
        variant_name: str | None,
        specification: dict[str, Any],
        runtime_config: dict[str, Any],
        tags: list[dict[str, str]],
        specifications: list[dict[str, Any]] | None = None,
    ) -> FakeInferenceComponent:
        if name in self.inference_components:
            arn = arn_formatter("inference-component", name, self.account_id, self.region_name)
            raise ValidationError(f'Cannot create already existing inference component "{arn}".')
        endpoint = self._endpoint(endpoint_name)
        variant_name = variant_name or next(iter(endpoint.fleets), "")
        specification = _specification_in_effect(endpoint.fleet(variant_name), specification, specifications)
        base = specification.get("BaseInferenceComponentName")
        if base is not None:
            self._adapter_must_fit(base, endpoint_name, specification, runtime_config)
            copy_count = 0
        else:
            copy_count = _copy_count(runtime_config, minimum=MIN_COPIES_AT_CREATION)
            self._place(endpoint, variant_name, name, specification, copy_count)
        component = FakeInferenceComponent(self.account_id, self.region_name, name, endpoint, variant_name, specification, copy_count, tags, specifications)
        self.inference_components[name] = component
        return component

    def describe_inference_component(self, name: str) -> dict[str, Any]:
        return self._component(name).describe()

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_inference_components(
        self,
        sort_by: str | None = None,
        sort_order: str | None = None,
        name_contains: str | None = None,
        creation_time_before: datetime | None = None,
        creation_time_after: datetime | None = None,
        last_modified_time_before: datetime | None = None,
        last_modified_time_after: datetime | None = None,
        status_equals: str | None = None,
        endpoint_name_equals: str | None = None,
        variant_name_equals: str | None = None,
    ) -> list[FakeInferenceComponent]:
        checks = [
            (name_contains, lambda c: name_contains in c.name),
            (creation_time_before, lambda c: c.creation_time < creation_time_before),
            (creation_time_after, lambda c: c.creation_time > creation_time_after),
            (last_modified_time_before, lambda c: c.last_modified_time < last_modified_time_before),
            (last_modified_time_after, lambda c: c.last_modified_time > last_modified_time_after),
            (status_equals, lambda c: c.status == status_equals),
            (endpoint_name_equals, lambda c: c.endpoint.endpoint_name == endpoint_name_equals),
            (variant_name_equals, lambda c: c.variant_name == variant_name_equals),
        ]
        components = [c for c in self.inference_components.values() if all(check(c) for value, check in checks if value)]
        sort_key = {"Name": lambda c: c.name, "Status": lambda c: c.status}.get(sort_by or "", lambda c: c.creation_time)
        # The API sorts by creation time, newest first, unless told otherwise.
        return sorted(components, key=sort_key, reverse=(sort_order or "Descending") == "Descending")

    def update_inference_component(
        self,
        name: str,
        specification: dict[str, Any] | None,
        runtime_config: dict[str, Any] | None,
        deployment_config: dict[str, Any] | None = None,
        specifications: list[dict[str, Any]] | None = None,
    ) -> FakeInferenceComponent:
        component = self._component(name)
        if specification or specifications:
            fleet = component.endpoint.fleet(component.variant_name)
            component.specifications = specifications
            specification = _specification_in_effect(fleet, specification, specifications)
        else:
            specification = component.specification
        # Only creation needs a copy: an update may take a component to zero (botocore's InferenceComponentCopyCount
        # has min 0; SageMaker developer guide, "endpoint-auto-scaling-zero-instances").
        copy_count = _copy_count(runtime_config, minimum=0) if runtime_config else component.desired_copy_count
        if component.base is None:
            self._place(component.endpoint, component.variant_name, name, specification, copy_count)
        component.specification = specification
        component.desired_copy_count = copy_count
        if deployment_config is not None:
            component.last_deployment_config = deployment_config
        component.transition.start("Updating")
        component.last_modified_time = _now()
        return component

    def update_inference_component_runtime_config(self, name: str, desired_runtime_config: dict[str, Any]) -> FakeInferenceComponent:
        return self.update_inference_component(name, specification=None, runtime_config=desired_runtime_config)

    def delete_inference_component(self, name: str) -> None:
        component = self._component(name)
        adapters = [c.name for c in self.inference_components.values() if c.base == name]
        if adapters:
            # Real text unknown: SageMaker keeps a base component while adapters run on it.
            raise ValidationError(f'Cannot delete inference component "{name}": adapters {", ".join(adapters)} use it as their base.')
        if component.base is None:
            component.endpoint.fleets[component.variant_name].remove(name)
        del self.inference_components[name]

    def _adapter_must_fit(self, base: str, endpoint_name: str, specification: dict[str, Any], runtime_config: dict[str, Any]) -> None:
        # An adapter runs in its base component's copies: it asks no compute of its own nor copies (FACTS.md).
        # Real texts unknown.
        if base not in self.inference_components or self.inference_components[base].endpoint.endpoint_name != endpoint_name:
            raise ValidationError(f'Base inference component "{base}" not found on endpoint "{endpoint_name}".')
        if "ComputeResourceRequirements" in specification or runtime_config:
            raise ValidationError("An adapter inference component takes neither ComputeResourceRequirements nor RuntimeConfig: it runs on its base component's copies.")

    def _component(self, name: str) -> FakeInferenceComponent:
        if name not in self.inference_components:
            arn = arn_formatter("inference-component", name, self.account_id, self.region_name)
            raise ValidationError(f'Could not find inference component "{arn}".')
        return self.inference_components[name]

    def _components_on(self, endpoint_name: str) -> list[FakeInferenceComponent]:
        return [c for c in self.inference_components.values() if c.endpoint.endpoint_name == endpoint_name]

    def _place(self, endpoint: Endpoint, variant_name: str, component: str, specification: dict[str, Any], copies: int) -> None:
        requirements = _requirements(specification)
        # SageMaker's default strategy is not documented in our sources; SPREAD keeps copies on distinct instances.
        strategy = specification.get("SchedulingConfig", {}).get("PlacementStrategy", "SPREAD")
        fleet = endpoint.fleet(variant_name)
        try:
            fleet.place(component, requirements, copies, strategy)
        except NotEnoughHardware as error:
            raise ValidationError(str(error)) from None


MIN_COPIES_AT_CREATION = 1


def _specification_in_effect(fleet: Fleet, specification: dict[str, Any] | None, specifications: list[dict[str, Any]] | None) -> dict[str, Any]:
    """`Specification`, or the one of `Specifications` (one per instance type) for the fleet's instance type.

    Real texts unknown; the API reference says to give either Specification or Specifications, not both."""
    if specification and specifications:
        raise ValidationError("Specify either Specification or Specifications, not both.")
    if not specifications:
        return specification or {}
    instance_type = fleet.instance_type.name
    for candidate in specifications:
        if candidate.get("InstanceType") == instance_type:
            return candidate
    raise ValidationError(f"Specifications has no specification for the variant's instance type {instance_type}.")


def _copy_count(runtime_config: dict[str, Any], minimum: int) -> int:
    copy_count = runtime_config.get("CopyCount", 0)
    if copy_count < minimum:
        raise ValidationError("Inference components copy count an integer larger than 0")  # sic; FACTS.md, stdapi.ai issue 43
    return copy_count


def without_unset_structures(response: dict[str, Any], *keys: str) -> dict[str, Any]:
    """Drop the structures moto answers as `{}` when none was set: SageMaker leaves them out, and clients that
    validate the answer (sagemaker-core's pydantic models) refuse an empty one."""
    for key in keys:
        if response.get(key) == {}:
            del response[key]
    return response


def _requirements(specification: dict[str, Any]) -> CopyRequirements:
    requirements = specification.get("ComputeResourceRequirements")
    if requirements is None or "MinMemoryRequiredInMb" not in requirements:
        raise _constraint_error(None, "specification.computeResourceRequirements.minMemoryRequiredInMb", "Member must not be null")
    limits = (
        ("MinMemoryRequiredInMb", MIN_MEMORY_PER_COPY_MB, "minMemoryRequiredInMb"),
        ("NumberOfCpuCoresRequired", MIN_CPU_CORES_PER_COPY, "numberOfCpuCoresRequired"),
        ("NumberOfAcceleratorDevicesRequired", 1, "numberOfAcceleratorDevicesRequired"),
    )
    for key, minimum, field in limits:
        if key in requirements and requirements[key] < minimum:
            raise _constraint_error(
                requirements[key], f"specification.computeResourceRequirements.{field}", f"Member must have value greater than or equal to {minimum}"
            )
    return CopyRequirements.from_specification(requirements)
