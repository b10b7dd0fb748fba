"""loadmaster.batch_transform: what CreateTransformJob accepts, EventBridge Scheduler's expressions and the runs a
month they make, a run's time and cost."""

from __future__ import annotations

import numpy
import pytest

from loadmaster.batch_transform import DAYS_PER_MONTH, RunTime, Schedule, run_time, transform_cost, transform_problems

REFERENCE_DAYS = 366 + 3 * 365  # 2028 (a leap year) to 2031
REFERENCE_MONTHS = 48


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(1 day)", DAYS_PER_MONTH),
        ("rate(6 hours)", DAYS_PER_MONTH * 4),
        ("rate(30 minutes)", DAYS_PER_MONTH * 48),
        ("cron(0 2 * * ? *)", REFERENCE_DAYS / REFERENCE_MONTHS),
        ("cron(0/15 * * * ? *)", 96 * REFERENCE_DAYS / REFERENCE_MONTHS),
        ("cron(0 8,20 * * ? *)", 2 * REFERENCE_DAYS / REFERENCE_MONTHS),
        ("cron(0 0 L * ? *)", 1),
        ("cron(0 0 1 * ? *)", 1),
        ("cron(0 0 ? * 6L *)", 1),  # the last Friday
        ("cron(0 0 ? * 2#1 *)", 1),  # the first Monday
        ("cron(0 0 15W * ? *)", 1),  # the weekday nearest the 15th
        ("cron(0 0 1 JAN,JUL ? *)", 2 / 12),
        ("cron(0 0 1 1 ? 2029)", 1 / 12),  # once, in 2029: per month of that year
        ("cron(0 0 29 2 ? *)", 1 / REFERENCE_MONTHS),  # only in 2028 of the four years
    ],
)
def test_a_schedule_runs_so_many_times_in_a_mean_month(expression, runs):
    assert Schedule(expression).runs_per_month == pytest.approx(runs)


def test_a_weekday_schedule_counts_the_weekdays_of_its_reference_years():
    weekdays = numpy.busday_count("2028-01-01", "2032-01-01")  # Monday to Friday, counted another way

    assert Schedule("cron(0 9 ? * MON-FRI *)", "Europe/Paris").runs_per_month == pytest.approx(weekdays / REFERENCE_MONTHS)
    assert Schedule("cron(0 9 ? * 2-6 *)").runs_per_month == pytest.approx(weekdays / REFERENCE_MONTHS)


@pytest.mark.parametrize(
    ("expression", "time_zone", "problem"),
    [
        ("cron(0 2 * * *)", "UTC", "six fields"),
        ("cron(0 2 * * MON *)", "UTC", "one of day-of-month and day-of-week must be ?"),
        ("cron(0 2 ? * ? *)", "UTC", "one of day-of-month and day-of-week must be ?"),
        ("cron(? 2 * * ? *)", "UTC", "minutes '?' is not a valid value (0-59)"),
        ("cron(60 2 * * ? *)", "UTC", "minutes '60' is not a valid value (0-59)"),
        ("cron(0 2 * 13 ? *)", "UTC", "month '13' is not a valid value (1-12 or JAN-DEC)"),
        ("cron(0 2 ? * FUN *)", "UTC", "day-of-week 'FUN' is not a valid value"),
        ("cron(0 5-2 * * ? *)", "UTC", "hours '5-2' is not a valid value"),
        ("cron(0/0 2 * * ? *)", "UTC", "minutes '0/0' is not a valid value"),
        ("rate(0 hours)", "UTC", "must be a positive whole number"),
        ("rate(1 hours)", "UTC", "singular for a value of 1"),
        ("rate(5 hour)", "UTC", "singular for a value of 1 and plural above"),
        ("rate(2 weeks)", "UTC", "is not rate(value unit)"),
        ("at(2027-01-01T00:00:00)", "UTC", "runs once"),
        ("daily", "UTC", "must be cron("),
        ("rate(1 day)", "Mars/Olympus", "time_zone 'Mars/Olympus' is not an IANA time zone name"),
    ],
)
def test_an_expression_scheduler_refuses_is_refused_with_the_reason(expression, time_zone, problem):
    problems = Schedule(expression, time_zone).problems()

    assert len(problems) == 1 and problem in problems[0], problems


def test_a_valid_schedule_has_no_problem():
    assert Schedule("cron(30 6 ? * MON-FRI *)", "America/New_York").problems() == []
    assert Schedule("rate(1 hour)").problems() == []


def test_settings_create_transform_job_refuses_are_each_named():
    problems = transform_problems(
        instance_type="ml.p5.48xlarge", instance_count=0, max_concurrent_transforms=-1, max_payload_mb=101,
        batch_strategy="Everything", split_type="Words", invocation_timeout_s=0, invocation_retries=4,
    )

    assert problems[0].startswith("instance_type 'ml.p5.48xlarge' is not a batch transform instance type (botocore's TransformInstanceType lists ")
    assert problems[1:] == [
        "instance_count must be at least 1, got 0",
        "max_concurrent_transforms must be at least 0 (0: SageMaker chooses), got -1",
        "max_payload_mb must be 0 to 100, got 101",
        "split_type must be one of None, Line, RecordIO, TFRecord, got 'Words'",
        "batch_strategy must be one of MultiRecord, SingleRecord, got 'Everything'",
        "invocation_timeout_s must be 1 to 3600, got 0",
        "invocation_retries must be 0 to 3, got 4",
    ]


def test_payload_times_concurrency_above_100_mb_is_refused():
    assert transform_problems(instance_type="ml.m5.xlarge", instance_count=1, max_concurrent_transforms=10, max_payload_mb=20) == [
        "max_concurrent_transforms x max_payload_mb must not exceed 100 MB, got 10 x 20 = 200"
    ]
    assert transform_problems(instance_type="ml.m5.xlarge", instance_count=1, max_concurrent_transforms=4, max_payload_mb=25) == []
    assert transform_problems(instance_type="ml.m5.xlarge", instance_count=1, max_concurrent_transforms=0, max_payload_mb=100) == []


def test_a_batch_strategy_without_a_split_type_is_refused():
    assert transform_problems(instance_type="ml.m5.xlarge", instance_count=1, batch_strategy="MultiRecord") == [
        "batch_strategy MultiRecord takes effect only with split_type Line, RecordIO or TFRecord (records are whole objects with None)"
    ]
    assert transform_problems(instance_type="ml.m5.xlarge", instance_count=1, batch_strategy="MultiRecord", split_type="Line") == []


def test_a_stated_run_time_is_used_as_stated():
    assert run_time(run_hours=1.5, records=10, processing_s=1) == RunTime(1.5, "run_hours 1.5 as stated")


def test_a_run_time_is_estimated_from_records_processing_time_and_concurrency():
    estimate = run_time(records=100_000, processing_s=0.5, instance_count=2, max_concurrent_transforms=4)

    assert estimate.hours == pytest.approx(100_000 * 0.5 / 8 / 3600)
    assert estimate.basis == "100000 records x 0.5 s / (2 instances x 4 concurrent) = 1.74 h"


def test_sagemaker_choosing_the_concurrency_counts_as_one():
    assert run_time(records=3600, processing_s=1, max_concurrent_transforms=0).hours == 1


def test_an_unknown_run_time_is_unknown_not_zero():
    assert run_time() is None
    assert run_time(records=1000) is None


def test_a_run_costs_instances_times_price_times_hours_and_a_month_its_runs():
    cost = transform_cost(instance_count=2, price_per_hour=0.23, run=RunTime(1.5, "stated"), schedule=Schedule("rate(1 day)"))

    assert cost.per_run == pytest.approx(2 * 0.23 * 1.5)
    assert cost.per_month == pytest.approx(2 * 0.23 * 1.5 * DAYS_PER_MONTH)


def test_runs_started_by_new_objects_have_no_monthly_figure():
    cost = transform_cost(instance_count=1, price_per_hour=0.23, run=RunTime(1, "stated"), schedule=None)

    assert (cost.per_run, cost.runs_per_month, cost.per_month) == (0.23, None, None)
