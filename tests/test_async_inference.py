"""loadmaster.async_inference: an async endpoint's scaling, size, cost and fitness, as plain data."""

import pytest

from loadmaster.async_inference import (
    Request,
    backlog_scaling,
    hourly_cost,
    instances_for,
)
from loadmaster.scaling import ScalableDimension, ScalingMetric


def test_an_endpoint_that_scales_to_zero_is_woken_by_backlog_without_capacity():
    scaling = backlog_scaling(0, 4)

    wake = scaling.wake_from_zero
    assert (scaling.dimension, scaling.min, scaling.max, scaling.scales_to_zero) == (ScalableDimension.INSTANCES, 0, 4, True)
    assert (wake.alarm.metric_name, wake.alarm.statistic, wake.alarm.period_s, wake.alarm.evaluation_periods, wake.alarm.datapoints_to_alarm, wake.alarm.threshold) == (
        "HasBacklogWithoutCapacity", "Average", 60, 2, 2, 1)
    assert [(step.adjustment, step.lower) for step in wake.steps] == [(1, 0)]


def test_an_endpoint_that_keeps_an_instance_needs_no_wake_up():
    assert backlog_scaling(1, 4).wake_from_zero is None


def test_target_tracking_follows_the_backlog_per_instance_as_a_customized_metric():
    (tracking,) = backlog_scaling(0, 2, target=3).target_tracking

    assert tracking.metric is ScalingMetric.BACKLOG_SIZE_PER_INSTANCE and tracking.metric.predefined_metric_type is None
    assert (tracking.custom_metric.namespace, tracking.custom_metric.metric_name, tracking.custom_metric.statistic, tracking.target) == (
        "AWS/SageMaker", "ApproximateBacklogSizePerInstance", "Average", 3)


def test_a_gigabyte_ten_minute_request_needs_more_than_a_real_time_endpoint_and_fits_async():
    request = Request(payload_mb=1000, processing_s=600, callers_wait_for_s3=True)

    assert request.needs_more_than_real_time() == [
        "its 1000 MB payload is above the 6.29 MB a real-time request takes",
        "its 600 s processing is above the 60 s a real-time endpoint waits",
    ]
    assert request.async_refusals() == []


def test_a_request_whose_callers_cannot_wait_for_s3_is_refused_async_with_the_reason():
    request = Request(payload_mb=1000, processing_s=600, callers_wait_for_s3=False)

    assert request.async_refusals() == ["its callers cannot wait for the result in S3 (request.callers_wait_for_s3 is false)"]


def test_a_request_beyond_the_async_limits_is_refused_with_the_numbers():
    request = Request(payload_mb=2000, processing_s=7200, callers_wait_for_s3=True)

    assert request.async_refusals() == [
        "its 2000 MB payload is above the 1000 MB (1 GB) an async request takes",
        "its 7200 s processing is above the 3600 s an async request may run",
    ]


def test_a_small_quick_request_fits_a_real_time_endpoint():
    assert Request(payload_mb=1, processing_s=2, callers_wait_for_s3=False).needs_more_than_real_time() == []


@pytest.mark.parametrize(
    ("concurrency", "per_instance", "expected"),
    [(0, 4, 0), (0.2, 4, 1), (9, 4, 3), (9, None, 5), (100, 1, 5)],
)
def test_instances_cover_the_requests_in_processing_within_the_bounds(concurrency, per_instance, expected):
    assert instances_for(concurrency, per_instance, min_instances=0, max_instances=5) == expected


def test_the_floor_holds_without_traffic():
    assert instances_for(0, 4, min_instances=1, max_instances=5) == 1


def test_cost_is_the_instances_at_their_price_and_unknown_without_a_price():
    assert hourly_cost(1.52, 3) == pytest.approx(4.56)
    assert hourly_cost(None, 3) is None
    assert hourly_cost(None, 0) == 0.0


def test_the_limits_are_the_ones_of_botocores_service_models():
    import botocore.session

    from loadmaster import limits

    session = botocore.session.get_session()
    sagemaker, runtime = session.get_service_model("sagemaker"), session.get_service_model("sagemaker-runtime")
    concurrency = sagemaker.shape_for("MaxConcurrentInvocationsPerInstance").metadata
    invoke = runtime.operation_model("InvokeEndpointAsync").input_shape.members

    real_time_body = runtime.operation_model("InvokeEndpoint").input_shape.members["Body"]

    assert limits.ASYNC_MAX_CONCURRENT_INVOCATIONS_RANGE == (concurrency["min"], concurrency["max"])
    assert limits.ASYNC_MAX_PROCESSING_S == invoke["InvocationTimeoutSeconds"].metadata["max"]
    assert round(limits.REAL_TIME_MAX_PAYLOAD_MB * 10**6) == real_time_body.metadata["max"]
