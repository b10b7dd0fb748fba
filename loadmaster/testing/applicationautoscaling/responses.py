"""moto's Application Auto Scaling handler, validating against botocore's enums instead of moto's, and
DescribeScalingActivities."""

from __future__ import annotations

import json

from moto.applicationautoscaling import responses as moto_responses

from .models import ApplicationAutoscalingBackend, enum_problem, raise_problems

DEFAULT_MAX_RESULTS = 50  # DescribeScalableTargets' page size (API reference)


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

    def describe_scalable_targets(self) -> str:
        """moto's, paging right: moto 5.2.5 gives every page after the first the token of the second, so a listing of
        more than 100 targets never ends (botocore's paginator stops on the repeated token). The token stays moto's,
        the index of the page's last target (moto's own tests read it), and the next page starts after it."""
        self._validate_params()
        targets = self.applicationautoscaling_backend.describe_scalable_targets(
            self._get_param("ServiceNamespace"), self._get_param("ResourceIds"), self._get_param("ScalableDimension")
        )
        token = self._get_param("NextToken")
        start = int(token) + 1 if token else 0
        end = start + (self._get_int_param("MaxResults") or DEFAULT_MAX_RESULTS)
        page = {"ScalableTargets": [moto_responses._build_target(target) for target in targets[start:end]]}
        if end < len(targets):
            page["NextToken"] = str(end - 1)
        return json.dumps(page)
