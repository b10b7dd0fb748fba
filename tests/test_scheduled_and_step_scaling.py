"""Scheduled and step scaling in the portfolio (issue 11 point 5): a model's `scaling.schedule` and `scaling.step`,
every rule of Application Auto Scaling and CloudWatch they must follow, each broken rule one line naming the field."""

from __future__ import annotations

import copy

import pytest
from test_portfolio_validation import INLINE, VALID, problems_in

from loadmaster.catalog import load_catalog
from loadmaster.scaling import ScheduledAction, Step, cron_problems, schedule_problems, step_problems
from loadmaster.spec.load import validate_portfolio
from loadmaster.spec.scaling import step_policies_of, windows_of


@pytest.fixture
def portfolio(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    return copy.deepcopy(VALID)

BUSINESS_HOURS = {"name": "business-hours", "cron": "0 8 ? * MON-FRI *", "timezone": "Europe/Berlin", "min": 2}
EVENINGS = {"name": "evenings", "cron": "cron(0 19 ? * MON-FRI *)", "timezone": "Europe/Berlin", "min": 1, "max": 2}
LATENCY = {
    "metric": {"name": "ModelLatency", "statistic": "Maximum", "period_s": 60},
    "threshold": 500_000,
    "evaluation_periods": 3,
    "steps": [{"lower": 0, "upper": 200_000, "adjustment": 1}, {"lower": 200_000, "adjustment": 2}],
}


def inline_scaling(document: dict) -> dict:
    return document["models"][INLINE]["scaling"]


def with_inline_scaling(**keys) -> dict:
    document = copy.deepcopy(VALID)
    inline_scaling(document).update(keys)
    return document


def test_windows_and_step_policies_become_the_scaling_data_the_stacks_render():
    portfolio = validate_portfolio(with_inline_scaling(schedule=[BUSINESS_HOURS, EVENINGS], step=[LATENCY]), "portfolio.yaml", load_catalog())
    scaling = portfolio.models[INLINE].scaling

    assert windows_of(scaling.schedule) == (
        ScheduledAction("business-hours", "cron(0 8 ? * MON-FRI *)", min=2, max=None, timezone="Europe/Berlin"),
        ScheduledAction("evenings", "cron(0 19 ? * MON-FRI *)", min=1, max=2, timezone="Europe/Berlin"),
    )
    (policy,) = step_policies_of(scaling.step)
    assert (policy.alarm.namespace, policy.alarm.metric_name, policy.alarm.statistic, policy.alarm.threshold, policy.alarm.evaluation_periods) == (
        "AWS/SageMaker", "ModelLatency", "Maximum", 500_000, 3)
    assert policy.alarm.dimensions == ()  # the model's own, filled in by the stacks
    assert policy.steps == (Step(1, 0, 200_000), Step(2, 200_000, None))
    assert policy.metric_aggregation == "Maximum"


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ({"cron": "0 8 * * MON-FRI *"}, "cron: one of day-of-month and day-of-week must be ?, the other a value or *"),
        ({"cron": "0 8 ? * MON-FRI"}, "cron: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), got 5"),
        ({"cron": "0 25 ? * MON-FRI *"}, "cron: hours: 25 is outside 0-23"),
        ({"cron": "0 8 ? * MON-FRY *"}, "cron: day-of-week: 'FRY' is not a number nor one of SUN/MON/TUE/WED/THU/FRI/SAT"),
        ({"cron": None, "rate": "2 weeks"}, "rate: a rate is 'VALUE UNIT', VALUE a whole number from 1 and UNIT one of minute, minutes, hour, hours, day, days; got '2 weeks'"),
        ({"timezone": "Europe/Munich"}, "timezone: unknown time zone 'Europe/Munich': an IANA name such as UTC, Europe/Berlin or America/New_York"),
        ({"min": 3, "max": 2}, "min (3) is greater than max (2)"),
        ({"min": None}, "give min, max or both: an action that sets neither does nothing"),
        ({"rate": "1 day"}, "give either cron or rate"),
        ({"name": "nine:to:five"}, "name: 'nine:to:five': a scheduled action's name is 1 to 256 characters, without colon, slash, pipe or a blank at either end"),
    ],
    ids=["both-day-fields", "five-fields", "hour-25", "misspelt-day", "rate-unit", "time-zone", "min-above-max", "no-bound", "cron-and-rate", "name-colon"],
)
def test_a_window_breaking_a_rule_is_rejected_naming_its_field(portfolio, window, expected):
    written = {key: value for key, value in (BUSINESS_HOURS | window).items() if value is not None}
    inline_scaling(portfolio)["schedule"] = [written]

    (problem,) = problems_in(portfolio)

    assert problem.startswith(f"portfolio.yaml: models[0] (inline).scaling.schedule[0] (")
    assert expected in problem


def test_two_windows_of_one_name_are_rejected(portfolio):
    inline_scaling(portfolio)["schedule"] = [BUSINESS_HOURS, BUSINESS_HOURS | {"cron": "0 18 ? * MON-FRI *"}]

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[0] (inline).scaling.schedule: two windows are named 'business-hours': a scheduled action's name is unique on its target"]


def test_more_windows_than_a_scalable_target_takes_are_rejected_with_the_limit(portfolio):
    from loadmaster.scaling import MAX_SCHEDULED_ACTIONS_PER_TARGET

    # Given one window more than Application Auto Scaling's scheduled actions per target (each window is one)
    inline_scaling(portfolio)["schedule"] = [BUSINESS_HOURS | {"name": f"window-{index}"} for index in range(MAX_SCHEDULED_ACTIONS_PER_TARGET + 1)]

    assert problems_in(portfolio) == [
        f"portfolio.yaml: models[0] (inline).scaling.schedule: at most {MAX_SCHEDULED_ACTIONS_PER_TARGET} scheduled actions per scalable target, "
        f"got {MAX_SCHEDULED_ACTIONS_PER_TARGET + 1}"]


def test_a_cron_field_wrapped_as_another_kind_of_expression_is_refused_not_unwrapped(portfolio):
    # Given a window whose cron is written as a rate() of a cron's fields
    inline_scaling(portfolio)["schedule"] = [BUSINESS_HOURS | {"cron": "rate(0 8 ? * MON-FRI *)"}]
    # Then only cron(...) is unwrapped: the rest is read as the cron's fields, and refused
    assert problems_in(portfolio) == [
        "portfolio.yaml: models[0] (inline).scaling.schedule[0] (business-hours).cron: minutes: 'rate(0' is not a number; year: '*)' is not a number"]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([{"lower": 0, "upper": 10, "adjustment": 1}, {"lower": 20, "adjustment": 2}], "steps leave a gap between 10 and 20"),
        ([{"lower": 0, "upper": 30, "adjustment": 1}, {"lower": 20, "adjustment": 2}], "steps overlap: [0, 30) and [20, +inf)"),
        ([{"adjustment": 1}], "step 1 has neither a lower nor an upper bound"),
        ([{"lower": 0, "adjustment": 1}, {"lower": 10, "adjustment": 2}], "more than one step without an upper bound"),
        ([{"lower": 0, "upper": 10, "adjustment": 1}], "a step has a positive upper bound, so one step must have no upper bound"),
        ([{"lower": -10, "upper": 0, "adjustment": -1}], "a step has a negative lower bound, so one step must have no lower bound"),
        ([{"lower": 10, "upper": 5, "adjustment": 1}, {"lower": 5, "adjustment": 1}], "step 1: lower 10 is not below upper 5"),
    ],
    ids=["gap", "overlap", "unbounded-both-ways", "two-unbounded-above", "positive-upper-bound-alone", "negative-lower-bound-alone", "reversed"],
)
def test_steps_breaking_application_auto_scaling_rules_are_rejected(portfolio, steps, expected):
    inline_scaling(portfolio)["step"] = [LATENCY | {"steps": steps}]

    (problem,) = problems_in(portfolio)

    assert problem.startswith("portfolio.yaml: models[0] (inline).scaling.step[0]: steps: ")
    assert expected in problem


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ({"period_s": 45}, "metric.period_s: 45 s: a CloudWatch alarm's period is 10, 20, 30 or a multiple of 60 seconds"),
        ({"statistic": "p99"}, "metric.statistic: expected 'Average', 'Maximum', 'Minimum', 'Sum' or 'SampleCount', found 'p99'"),
    ],
    ids=["period", "statistic"],
)
def test_a_step_policy_metric_the_alarm_cannot_watch_is_rejected(portfolio, metric, expected):
    inline_scaling(portfolio)["step"] = [LATENCY | {"metric": LATENCY["metric"] | metric}]

    assert problems_in(portfolio) == [f"portfolio.yaml: models[0] (inline).scaling.step[0].{expected}"]


def test_scale_in_steps_below_the_threshold_are_accepted():
    assert step_problems((Step(-1, None, -10), Step(-2, -10, 0))) == []
    assert step_problems((Step(-1, None, 0),)) == []


@pytest.mark.parametrize("fields", ["30 6 ? * MON *", "0/15 * * * ? *", "0 18 L * ? *", "0 10 ? * 6L 2027", "0 10 ? * 2#1 *", "0 8-17 ? JAN-MAR MON-FRI *"])
def test_application_auto_scaling_cron_forms_are_accepted(fields):
    assert cron_problems(fields) == []


def test_a_schedule_is_cron_rate_or_at():
    assert schedule_problems("at(2027-01-01T08:00:00)") == []
    assert schedule_problems("rate(5 minutes)") == []
    assert schedule_problems("every day") == ["a schedule is cron(...), rate(...) or at(...)"]
