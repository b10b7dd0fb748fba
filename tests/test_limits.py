"""SageMaker's limits and loadmaster's defaults live in loadmaster.limits only: the portfolio's schema, the plan, the
constructs and the moto extension all read them there, so they cannot drift apart."""

from __future__ import annotations

import pytest

from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster import limits
from loadmaster.hostings.inference_component import PerCopy
from loadmaster.plan import DeploymentPlan
from loadmaster.spec.base import Deployment, Startup
from loadmaster.spec.json_schema import portfolio_json_schema

DEFINITIONS = portfolio_json_schema()["$defs"]


def test_the_schema_offers_the_per_copy_minimums_sagemaker_documents():
    per_copy = DEFINITIONS["PerCopy"]["properties"]

    assert per_copy["memory_mb"]["minimum"] == limits.MIN_MEMORY_PER_COPY_MB == 128
    assert per_copy["cpu_cores"]["anyOf"][0]["minimum"] == limits.MIN_CPU_CORES_PER_COPY == 0.25


def test_the_schema_offers_sagemakers_startup_and_batch_ranges():
    startup, deployment = DEFINITIONS["Startup"]["properties"], DEFINITIONS["Deployment"]["properties"]

    assert (startup["model_download_timeout_s"]["minimum"], startup["model_download_timeout_s"]["maximum"]) == limits.STARTUP_TIMEOUT_RANGE_S
    assert (deployment["batch_percent"]["minimum"], deployment["batch_percent"]["maximum"]) == limits.BATCH_PERCENT_RANGE == (5, 50)


def test_a_portfolio_that_says_nothing_gets_the_same_rollout_in_the_spec_the_plan_and_the_constructs():
    # Given the defaults of each layer
    spec, plan, guardrails = Deployment(), DeploymentPlan(), DeploymentGuardrails()

    # Then they are the same figures
    assert spec.batch_percent == plan.batch_percent == guardrails.batch_percent == limits.DEFAULT_BATCH_PERCENT
    assert spec.wait_s == plan.wait_s == guardrails.wait.to_seconds() == limits.DEFAULT_BATCH_WAIT_S
    assert spec.rollback_errors_per_minute == plan.rollback_errors_per_minute == guardrails.rollback_errors_per_minute
    assert plan.rollback_latency_ms == guardrails.rollback_latency.to_milliseconds() == limits.DEFAULT_ROLLBACK_LATENCY_MS


@pytest.mark.parametrize("batch_percent", [limits.BATCH_PERCENT_RANGE[0] - 1, limits.BATCH_PERCENT_RANGE[1] + 1])
def test_the_constructs_refuse_a_batch_outside_the_range_the_spec_accepts(batch_percent):
    assert DeploymentGuardrails(batch_percent=batch_percent).problems() == [f"batch_percent must be 5 to 50, got {batch_percent}"]


def test_startup_defaults_to_sagemakers_longest_timeouts():
    assert Startup().model_download_timeout_s == Startup().health_check_timeout_s == limits.STARTUP_TIMEOUT_RANGE_S[1] == 3600


def test_the_spec_refuses_a_copy_below_sagemakers_memory_minimum():
    with pytest.raises(ValueError, match="greater than or equal to 128"):
        PerCopy(memory_mb=limits.MIN_MEMORY_PER_COPY_MB - 1)


def test_written_and_omitted_scaling_get_the_same_default_cooldowns():
    cooldowns = DEFINITIONS["Scaling"]["properties"]

    assert cooldowns["scale_in_cooldown_s"]["default"] == limits.DEFAULT_SCALE_IN_COOLDOWN_S == 300
    assert cooldowns["scale_out_cooldown_s"]["default"] == limits.DEFAULT_SCALE_OUT_COOLDOWN_S == 60
