"""moto's Application Auto Scaling handler, validating against botocore's enums instead of moto's, and
DescribeScalingActivities."""

from __future__ import annotations

import json

from moto.applicationautoscaling import responses as moto_responses

from .models import ApplicationAutoscalingBackend, enum_problem, raise_problems


class ApplicationAutoScalingResponse(moto_responses.ApplicationAutoScalingResponse):
    applicationautoscaling_backend: ApplicationAutoscalingBackend

    def _validate_params(self) -> None:
        raise_problems(
            [
                enum_problem(self._get_param("ScalableDimension"), "scalableDimension", "ScalableDimension"),
                enum_problem(self._get_param("ServiceNamespace"), "serviceNamespace", "ServiceNamespace"),
            ]
        )

    def describe_scaling_activities(self) -> str:
        self._validate_params()
        activities = self.applicationautoscaling_backend.describe_scaling_activities(
            self._get_param("ServiceNamespace"), self._get_param("ResourceId"), self._get_param("ScalableDimension")
        )
        return json.dumps({"ScalingActivities": [activity.response() for activity in activities]})
