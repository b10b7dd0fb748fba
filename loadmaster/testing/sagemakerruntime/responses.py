"""moto's SageMaker Runtime handler, refusing invocations nothing can serve."""

from __future__ import annotations

from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE
from moto.sagemakerruntime import responses as moto_responses

from .models import SageMakerRuntimeBackend


class SageMakerRuntimeResponse(moto_responses.SageMakerRuntimeResponse):
    sagemakerruntime_backend: SageMakerRuntimeBackend

    def invoke_endpoint(self) -> TYPE_RESPONSE:
        component = self.headers.get("X-Amzn-SageMaker-Inference-Component")
        endpoint = unquote(self.path.split("/")[2])  # /endpoints/<name>/invocations
        self.sagemakerruntime_backend.must_be_invocable(endpoint, component)
        self.sagemakerruntime_backend.payload_must_fit(endpoint, len(self.body or b""))
        return super().invoke_endpoint()
