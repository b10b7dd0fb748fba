"""moto's SageMaker Runtime backend, which answers any endpoint name with canned data, checking first that the
endpoint exists and that the inference component named in the request has a copy to serve it.

The answer itself stays moto's (its result queue, `/moto-api/static/sagemaker/endpoint-results`).
"""

from __future__ import annotations

from moto.core.exceptions import JsonRESTError
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.models import SageMakerRuntimeBackend as MotoSageMakerRuntimeBackend

from loadmaster.catalog.serverless import MAX_PAYLOAD_MB

BYTES_PER_MB = 1024 * 1024

# While a component has no copy, SageMaker refuses its invocations (SageMaker developer guide,
# "endpoint-auto-scaling-zero-instances"; AWS ML blog "Unlock cost savings with the new scale down to zero feature in
# SageMaker Inference"). The wording is the one the blog shows; not verified against AWS here.
NO_CAPACITY = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if "
    "configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API."
)


class InvocationError(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("ValidationError", message)


class SageMakerRuntimeBackend(MotoSageMakerRuntimeBackend):
    def add_extension_state(self) -> None:
        """Nothing beyond moto's state; `install` calls it on a moto backend it turns into this class."""

    def must_be_invocable(self, endpoint_name: str, component_name: str | None) -> None:
        sagemaker = sagemaker_backends[self.account_id][self.region_name]
        if endpoint_name not in sagemaker.endpoints:
            raise InvocationError(f"Endpoint {endpoint_name} of account {self.account_id} not found.")
        if component_name is None:
            return
        component = sagemaker.inference_components.get(component_name)
        if component is None or component.endpoint.endpoint_name != endpoint_name:
            # Real text unknown to us.
            raise InvocationError(f"Inference Component {component_name} not found on endpoint {endpoint_name}.")
        if component.current_copy_count() == 0:
            raise InvocationError(NO_CAPACITY)

    def payload_must_fit(self, endpoint_name: str, payload_bytes: int) -> None:
        """A serverless endpoint takes payloads up to 4 MB (SageMaker developer guide, "Inference options"), where
        real-time endpoints take 6 MB (botocore's BodyBlob). The real text is unknown to us."""
        endpoint = sagemaker_backends[self.account_id][self.region_name].endpoints.get(endpoint_name)
        serverless = endpoint is not None and any("CurrentServerlessConfig" in variant for variant in endpoint.production_variants)
        if serverless and payload_bytes > MAX_PAYLOAD_MB * BYTES_PER_MB:
            raise InvocationError(f"Request payload of {payload_bytes} bytes exceeds the {MAX_PAYLOAD_MB} MB a serverless endpoint accepts.")
