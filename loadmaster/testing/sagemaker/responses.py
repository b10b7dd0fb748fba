"""The SageMaker API operations moto lacks (inference components, UpdateEndpoint) and the endpoint-config and model fields it drops."""

from __future__ import annotations

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker import responses as moto_responses

from .models import SageMakerBackend, without_unset_structures


class SageMakerResponse(moto_responses.SageMakerResponse):
    """moto's handler; `sagemaker_backend` is a `SageMakerBackend` while the extension is installed."""

    sagemaker_backend: SageMakerBackend

    def create_endpoint_config(self) -> ActionResult:
        endpoint_config = self.sagemaker_backend.create_endpoint_config(
            endpoint_config_name=self._get_param("EndpointConfigName"),
            production_variants=self._get_param("ProductionVariants"),
            data_capture_config=self._get_param("DataCaptureConfig"),
            async_inference_config=self._get_param("AsyncInferenceConfig"),
            tags=self._get_param("Tags"),
            kms_key_id=self._get_param("KmsKeyId"),
            execution_role_arn=self._get_param("ExecutionRoleArn"),
            shadow_production_variants=self._get_param("ShadowProductionVariants"),
        )
        return ActionResult({"EndpointConfigArn": endpoint_config.endpoint_config_arn})

    def create_model(self) -> ActionResult:
        model = self.sagemaker_backend.create_model(
            model_name=self._get_param("ModelName"),
            execution_role_arn=self._get_param("ExecutionRoleArn"),
            primary_container=self._get_param("PrimaryContainer"),
            vpc_config=self._get_param("VpcConfig"),
            containers=self._get_param("Containers"),
            tags=self._get_param("Tags"),
            inference_execution_config=self._get_param("InferenceExecutionConfig"),
            enable_network_isolation=self._get_param("EnableNetworkIsolation", False),
        )
        return ActionResult(model.response_create)

    def describe_model(self) -> ActionResult:
        model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
        return ActionResult(without_unset_structures(dict(model.response_object), "VpcConfig"))

    def describe_endpoint_config(self) -> ActionResult:
        config = self.sagemaker_backend.describe_endpoint_config(self._get_param("EndpointConfigName"))
        return ActionResult(without_unset_structures(dict(config), "DataCaptureConfig", "AsyncInferenceConfig"))

    def stop_transform_job(self) -> ActionResult:
        self.sagemaker_backend.stop_transform_job(self._get_param("TransformJobName"))
        return EmptyResult()

    def update_endpoint(self) -> ActionResult:
        endpoint = self.sagemaker_backend.update_endpoint(
            endpoint_name=self._get_param("EndpointName"),
            endpoint_config_name=self._get_param("EndpointConfigName"),
        )
        return ActionResult({"EndpointArn": endpoint.arn})

    def create_inference_component(self) -> ActionResult:
        component = self.sagemaker_backend.create_inference_component(
            name=self._get_param("InferenceComponentName"),
            endpoint_name=self._get_param("EndpointName"),
            variant_name=self._get_param("VariantName"),
            specification=self._get_param("Specification", {}),
            runtime_config=self._get_param("RuntimeConfig", {}),
            tags=self._get_param("Tags", []),
            specifications=self._get_param("Specifications"),
        )
        return ActionResult({"InferenceComponentArn": component.arn})

    def describe_inference_component(self) -> ActionResult:
        return ActionResult(self.sagemaker_backend.describe_inference_component(self._get_param("InferenceComponentName")))

    def list_inference_components(self) -> ActionResult:
        components, next_token = self.sagemaker_backend.list_inference_components(
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
            name_contains=self._get_param("NameContains"),
            creation_time_before=self._get_param("CreationTimeBefore"),
            creation_time_after=self._get_param("CreationTimeAfter"),
            last_modified_time_before=self._get_param("LastModifiedTimeBefore"),
            last_modified_time_after=self._get_param("LastModifiedTimeAfter"),
            status_equals=self._get_param("StatusEquals"),
            endpoint_name_equals=self._get_param("EndpointNameEquals"),
            variant_name_equals=self._get_param("VariantNameEquals"),
        )
        return ActionResult({"InferenceComponents": [c.summary() for c in components], "NextToken": next_token})

    def update_inference_component(self) -> ActionResult:
        component = self.sagemaker_backend.update_inference_component(
            name=self._get_param("InferenceComponentName"),
            specification=self._get_param("Specification"),
            runtime_config=self._get_param("RuntimeConfig"),
            deployment_config=self._get_param("DeploymentConfig"),
            specifications=self._get_param("Specifications"),
        )
        return ActionResult({"InferenceComponentArn": component.arn})

    def update_inference_component_runtime_config(self) -> ActionResult:
        component = self.sagemaker_backend.update_inference_component_runtime_config(
            name=self._get_param("InferenceComponentName"),
            desired_runtime_config=self._get_param("DesiredRuntimeConfig"),
        )
        return ActionResult({"InferenceComponentArn": component.arn})

    def delete_inference_component(self) -> ActionResult:
        self.sagemaker_backend.delete_inference_component(self._get_param("InferenceComponentName"))
        return EmptyResult()
