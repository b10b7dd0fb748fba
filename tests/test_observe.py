"""`loadmaster observe`: traffic proposed from CloudWatch series held by moto, written back without disturbing the file.

Synthetic series over the last 6 hours, one datapoint a minute (the period `observe` reads 6 h at):
- steady-chat (dedicated): 10 invocations/s at 2 s, +-2 %: 20 concurrent requests -> steady;
- diurnal-code (inference component): 8 +- 6 concurrent requests in three compressed "days" -> variable;
- bursty-review (inference component): idle 5 h, then one hour ramping from 2 to 12 -> intermittent;
- idle-eval: no datapoint at all -> one line, no proposal.
Tolerance: mean and peak within 10 % of the series' own figures (the series are built to those figures; the slack
covers the minute the test may straddle).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from loadmaster.cli import main
from loadmaster.errors import EXIT_BAD_INPUT
from loadmaster.observe import PEAK_PERCENTILE, classify, percentile
from loadmaster.planner.make import plan_file

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
PORTFOLIO = f"""\
# Observed by the tests of `loadmaster observe`: every comment here must survive --write.
version: 1
name: observed
region: us-east-1

pools:
  - name: shared                         # one A10G pool for the shared models
    instance_type: ml.g5.12xlarge
    instances: {{min: 1, max: 4}}

models:
  - name: steady-chat                    # alone: steady, latency-critical
    image: {IMAGE}
    hosting: dedicated
    instance_type: ml.g5.2xlarge
    instances: {{min: 1, max: 8}}
    latency_slo_ms: 2500
    traffic: {{pattern: variable, mean_concurrency: 5, peak_concurrency: 10, request_kb: 2, response_kb: 8}}   # a guess

  - name: diurnal-code
    image: {IMAGE}
    pool: shared
    per_copy: {{accelerators: 1, memory_mb: 24576, cpu_cores: 4}}
    copies: {{min: 1, max: 4}}
    traffic: {{pattern: steady, mean_concurrency: 4, peak_concurrency: 8}}
    # no latency_slo_ms: observe hints one

  - name: bursty-review
    image: {IMAGE}
    pool: shared
    per_copy: {{accelerators: 1, memory_mb: 24576, cpu_cores: 4}}
    copies: {{min: 0, max: 2}}           # scales to zero between reviews
    latency_slo_ms: 10000

  - name: idle-eval
    image: {IMAGE}
    pool: shared
    per_copy: {{accelerators: 1, memory_mb: 8192, cpu_cores: 2}}
    copies: {{min: 0, max: 1}}
    latency_slo_ms: 5000
    traffic: {{pattern: intermittent, mean_concurrency: 0.1, peak_concurrency: 1}}
"""
MINUTES = 360
CHAT_LATENCY_US, CODE_LATENCY_US, REVIEW_LATENCY_US = 2_000_000, 1_500_000, 4_000_000


def diurnal(minute: int) -> float:
    return 8 + 6 * math.sin(2 * math.pi * minute / 120)


def burst(minute: int) -> float:
    return 0.0 if minute < 300 else 2 + 10 * (minute - 300) / 59


@pytest.fixture
def portfolio(tmp_path) -> Path:
    path = tmp_path / "observed.yaml"
    path.write_text(PORTFOLIO)
    return path


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def put_series(portfolio: Path) -> None:
    """The four models' series as SageMaker would emit them: Invocations (Sum per minute) and ModelLatency (us)."""
    plan = plan_file(portfolio)
    component = {c.model: c.component_name for pool in plan.pools for c in pool.components}
    chat = [{"Name": "EndpointName", "Value": plan.dedicated[0].endpoint_name}, {"Name": "VariantName", "Value": "AllTraffic"}]
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    data = []
    for minute in range(MINUTES):
        at = now - timedelta(minutes=MINUTES - minute)
        wobble = 1 + 0.02 * math.sin(minute)
        series = [(chat, 600 * wobble, CHAT_LATENCY_US),
                  ([{"Name": "InferenceComponentName", "Value": component["diurnal-code"]}], diurnal(minute) * 60 / 1.5, CODE_LATENCY_US)]
        if burst(minute):
            series.append(([{"Name": "InferenceComponentName", "Value": component["bursty-review"]}], burst(minute) * 60 / 4, REVIEW_LATENCY_US))
        for dimensions, invocations, latency in series:
            data.append({"MetricName": "Invocations", "Dimensions": dimensions, "Timestamp": at, "Value": invocations, "Unit": "None"})
            data.append({"MetricName": "ModelLatency", "Dimensions": dimensions, "Timestamp": at, "Value": latency, "Unit": "Microseconds"})
    client = boto3.client("cloudwatch", region_name="us-east-1")
    for first in range(0, len(data), 1000):
        client.put_metric_data(Namespace="AWS/SageMaker", MetricData=data[first:first + 1000])


def observed_rows(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 4 and cells[0] not in ("model", "---"):
            rows[cells[0]] = [part.strip() for part in cells[2].split(",")]
    return rows


def test_observe_recovers_each_models_pattern_mean_and_peak(aws, portfolio, capsys):
    # Given the four models' series in CloudWatch
    put_series(portfolio)
    # When observe reads the last 6 hours
    assert main(["observe", str(portfolio), "--since", "6h"]) == 0
    out = capsys.readouterr().out
    rows = observed_rows(out)
    # Then each pattern is recovered
    assert {model: row[0] for model, row in rows.items()} == {"steady-chat": "steady", "diurnal-code": "variable", "bursty-review": "intermittent"}
    # ... with mean and peak within 10 % of the series' own
    expected = {
        "steady-chat": (20, 20 * 1.02),
        "diurnal-code": (8, percentile([diurnal(m) for m in range(MINUTES)], PEAK_PERCENTILE)),
        "bursty-review": (sum(burst(m) for m in range(MINUTES)) / MINUTES, percentile([burst(m) for m in range(MINUTES)], PEAK_PERCENTILE)),
    }
    for model, (mean, peak) in expected.items():
        assert float(rows[model][1]) == pytest.approx(mean, rel=0.1), model
        assert float(rows[model][2]) == pytest.approx(peak, rel=0.1), model
    # ... the latency hint is the observed latency, and the model without data gets one line and no proposal
    assert rows["diurnal-code"][3] == "1500"
    assert "- idle-eval: no CloudWatch data for InferenceComponentName observed-idle-eval" in out


def test_write_changes_only_the_observed_keys_and_keeps_every_comment(aws, portfolio, capsys):
    put_series(portfolio)
    before = portfolio.read_text().splitlines()
    # When observe writes its proposal
    assert main(["observe", str(portfolio), "--since", "6h", "--write"]) == 0
    out = capsys.readouterr().out
    after = portfolio.read_text().splitlines()
    # Then every line but the observed keys' is byte for byte as it was and where it was, comments and blank lines included
    added = [line for line in after if line not in before]
    removed = [line for line in before if line not in after]
    assert [line.split(":")[0].strip() for line in added] == ["traffic", "traffic", "latency_slo_ms", "traffic"]
    assert [line.split(":")[0].strip() for line in removed] == ["traffic", "traffic"]  # steady-chat's and diurnal-code's
    assert [line for line in after if line not in added] == [line for line in before if line not in removed]
    # ... each new key sits with its model, before the blank line that ends it
    review = after.index("    latency_slo_ms: 10000")
    assert after[review + 1].startswith("    traffic: {pattern: intermittent") and after[review + 2] == ""
    # ... the keys the user wrote beside them stay (payload sizes), and each change is said
    chat_traffic = next(line for line in after if "request_kb: 2" in line)
    assert "pattern: steady" in chat_traffic and chat_traffic.endswith("# a guess")
    assert "models[0] (steady-chat).traffic.pattern: variable -> steady" in out
    assert "models[1] (diurnal-code).latency_slo_ms: added 1500" in out
    assert "models[2] (bursty-review).traffic: added" in out
    # ... and the file still plans, with the observed figures
    plan = plan_file(portfolio)
    assert plan.dedicated[0].model == "steady-chat"


def test_the_observed_file_still_loads_with_the_new_latency_hint(aws, portfolio, capsys):
    put_series(portfolio)
    assert main(["observe", str(portfolio), "--since", "6h", "--write"]) == 0
    text = portfolio.read_text()
    assert "    latency_slo_ms: 1500\n" in text
    assert "# no latency_slo_ms: observe hints one" in text


def test_no_data_for_any_model_ends_in_one_line_and_exit_2(aws, portfolio, capsys):
    assert main(["observe", str(portfolio), "--since", "6h", "--write"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no data for any model" in err[0]
    assert portfolio.read_text() == PORTFOLIO


def test_no_credentials_end_in_one_line_and_exit_2(monkeypatch, portfolio, tmp_path, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["observe", str(portfolio)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no AWS credentials found" in err[0]


@pytest.mark.parametrize(("code", "said"), [("AccessDenied", "not allowed to read CloudWatch metrics"),
                                             ("ThrottlingException", "throttled GetMetricData in us-east-1 even after adaptive retries")])
def test_refused_or_throttled_reads_end_in_one_line_and_exit_2(code, said, monkeypatch, portfolio, capsys):
    # Given CloudWatch answering with an error
    client = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    stubber = Stubber(client)
    stubber.add_client_error("get_metric_data", service_error_code=code, http_status_code=400)
    stubber.activate()
    created = []

    def stubbed(session, service, **options):
        created.append(options)
        return client

    monkeypatch.setattr(boto3.session.Session, "client", stubbed)
    assert main(["observe", str(portfolio)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0]
    # ... after botocore's adaptive retries
    assert created[0]["config"].retries["mode"] == "adaptive"


def test_an_unknown_region_ends_in_one_line_and_exit_2(portfolio, capsys):
    assert main(["observe", str(portfolio), "--region", "mars-north-1"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown region 'mars-north-1'" in err[0]


def test_a_bad_duration_ends_in_one_line_and_exit_2(portfolio, capsys):
    assert main(["observe", str(portfolio), "--since", "fortnight"]) == EXIT_BAD_INPUT
    assert "is not a duration such as 30m, 6h or 14d" in capsys.readouterr().err


def test_flat_runs_between_idle_stretches_are_batch():
    # Given a job that runs 30 periods at one level, twice, and is idle otherwise
    series = [0.0] * 100 + [8.0] * 30 + [0.0] * 100 + [8.2] * 30
    assert classify(series) == "batch"
    # ... while the same share of time in irregular bursts is intermittent
    assert classify([0.0] * 100 + [1, 9, 2, 12, 1] * 12 + [0.0] * 100) == "intermittent"


def test_queries_are_sent_at_most_500_a_call_and_every_page_is_read():
    # Given 200 models (600 queries) and a CloudWatch answering each call in two pages
    from loadmaster.observe import MAX_QUERIES_PER_CALL, Target, read_series

    class Paginator:
        def __init__(self):
            self.calls = []

        def paginate(self, MetricDataQueries, **_):
            self.calls.append(len(MetricDataQueries))
            half = len(MetricDataQueries) // 2
            at = datetime(2026, 12, 1, tzinfo=timezone.utc)
            for page in (MetricDataQueries[:half], MetricDataQueries[half:]):
                yield {"MetricDataResults": [{"Id": query["Id"], "Timestamps": [at], "Values": [1.0]} for query in page]}

    paginator = Paginator()
    client = type("Client", (), {"get_paginator": lambda self, name: paginator})()
    targets = [Target(f"model-{index}", (("EndpointName", f"e{index}"),), "ConcurrentRequestsPerModel") for index in range(200)]
    series = read_series(client, targets, datetime(2026, 11, 30, tzinfo=timezone.utc), datetime(2026, 12, 2, tzinfo=timezone.utc), 60)
    # Then two calls carry the 600 queries, none beyond the limit, and every model's series is filled from both pages
    assert paginator.calls == [MAX_QUERIES_PER_CALL, 100]
    assert all(len(each.invocations) == len(each.latency_us) == len(each.concurrency) == 1 for each in series.values())


def test_the_period_read_follows_what_cloudwatch_keeps():
    from loadmaster.observe import period_for

    assert period_for(timedelta(hours=6)) == 60
    assert period_for(timedelta(days=14)) == 840  # 1440 periods
    assert period_for(timedelta(days=16)) == 1200  # beyond 15 days, a multiple of the 5-minute data kept
    assert period_for(timedelta(days=100)) == 7200  # beyond 63 days, of the hourly data
    with pytest.raises(ValueError, match="455 days at most"):
        period_for(timedelta(days=500))
