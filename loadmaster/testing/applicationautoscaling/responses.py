"""moto's Application Auto Scaling handler, validating against botocore's enums instead of moto's."""

from __future__ import annotations

from moto.applicationautoscaling import responses as moto_responses

from .models import enum_problem, raise_problems


class ApplicationAutoScalingResponse(moto_responses.ApplicationAutoScalingResponse):
    def _validate_params(self) -> None:
        raise_problems(
            [
                enum_problem(self._get_param("ScalableDimension"), "scalableDimension", "ScalableDimension"),
                enum_problem(self._get_param("ServiceNamespace"), "serviceNamespace", "ServiceNamespace"),
            ]
        )
