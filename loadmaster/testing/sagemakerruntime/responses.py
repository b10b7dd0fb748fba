"""moto's SageMaker Runtime handler, refusing invocations nothing can serve (an endpoint, a component without a
copy, a target model not under a multi-model endpoint's prefix) and queueing asynchronous ones."""

from __future__ import annotations

import json
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE
from moto.sagemakerruntime import responses as moto_responses

from .models import SageMakerRuntimeBackend


class SageMakerRuntimeResponse(moto_responses.SageMakerRuntimeResponse):
    sagemakerruntime_backend: SageMakerRuntimeBackend

    def invoke_endpoint(self) -> TYPE_RESPONSE:
        component = self.headers.get("X-Amzn-SageMaker-Inference-Component")
        endpoint = self._endpoint_name()
        self.sagemakerruntime_backend.must_be_invocable(endpoint, component)
        self.sagemakerruntime_backend.target_model_must_be_served(endpoint, self.headers.get("X-Amzn-SageMaker-Target-Model"))
        self.sagemakerruntime_backend.target_container_must_exist(endpoint, self.headers.get("X-Amzn-SageMaker-Target-Container-Hostname"))
        self.sagemakerruntime_backend.payload_must_fit(endpoint, len(self.body or b""))
        return super().invoke_endpoint()

    def invoke_endpoint_async(self) -> TYPE_RESPONSE:
        request = self.sagemakerruntime_backend.queue_async_invocation(
            self._endpoint_name(),
            input_location=self.headers.get("X-Amzn-SageMaker-InputLocation"),
            has_body=bool(self.body),
            inference_id=self.headers.get("X-Amzn-SageMaker-Inference-Id"),
            output_path_extension=self.headers.get("X-Amzn-SageMaker-S3OutputPathExtension"),
            filename=self.headers.get("X-Amzn-SageMaker-Filename"),
        )
        # 202 Accepted: queued, not yet processed (botocore sagemaker-runtime service-2.json, InvokeEndpointAsync);
        # moto takes a handler's status from its "status" header.
        headers = {"status": 202, "X-Amzn-SageMaker-OutputLocation": request.output_location}
        if request.failure_location is not None:
            headers["X-Amzn-SageMaker-FailureLocation"] = request.failure_location
        return 202, headers, json.dumps({"InferenceId": request.inference_id})

    def _endpoint_name(self) -> str:
        return unquote(self.path.split("/")[2])  # /endpoints/<name>/invocations or /async-invocations
