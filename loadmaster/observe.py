"""What CloudWatch saw of a deployed portfolio's models, turned into the `traffic` figures the planner sizes from.

For each model of the plan, over a period: `Invocations` (Sum), `ModelLatency` (Average, microseconds) and the
concurrency metric of its hosting (`ConcurrentRequestsPerCopy` by InferenceComponentName for an inference
component, `ConcurrentRequestsPerModel` by EndpointName and VariantName for a dedicated endpoint), all in namespace
AWS/SageMaker (SageMaker developer guide, "Monitor Amazon SageMaker AI with Amazon CloudWatch"; docs/aws-facts.md).

A model's concurrency per period is Little's law on what it served, invocations per second x average latency: the
model's whole concurrency, on every copy or instance. Where latency is missing, the concurrency metric's average
stands in (per copy or per instance: a floor for a model on several). Periods without invocations count as idle.

The proposal: `pattern` classified from that series (see `classify`), `mean_concurrency` its mean, and
`peak_concurrency` its PEAK_PERCENTILE-th percentile, so that one stray period does not size the fleet; and a
`latency_slo_ms` hint, the LATENCY_PERCENTILE-th percentile of the observed per-period latency, for a model that
states none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean, pstdev
from typing import Any, Iterable

from loadmaster.plan import Plan

NAMESPACE = "AWS/SageMaker"
MAX_QUERIES_PER_CALL = 500  # GetMetricData's MetricDataQueries limit (CloudWatch API reference)
# CloudWatch keeps 1-minute datapoints for 15 days, 5-minute ones for 63 days and 1-hour ones for 455 days
# (CloudWatch concepts, "Metrics retention"): a period finer than the data kept returns nothing.
RETENTION = ((timedelta(days=15), 60), (timedelta(days=63), 300), (timedelta(days=455), 3600))
PERIODS_WANTED = 1440  # per series: enough for a percentile, few enough to read quickly
PEAK_PERCENTILE = 99
LATENCY_PERCENTILE = 95
# Classification thresholds (loadmaster's own, not AWS figures): see `classify`.
IDLE_SHARE_INTERMITTENT = 0.5  # idle at least half the periods: intermittent or batch
STEADY_VARIATION = 0.2  # coefficient of variation below which busy traffic is steady
BATCH_RUN_PERIODS = 6  # a batch job keeps its load for at least this many periods in a row...
BATCH_VARIATION = 0.2  # ...at about the same level


@dataclass(frozen=True)
class Target:
    """One model's metrics: the dimensions that name it, and the concurrency metric of its hosting."""

    model: str
    dimensions: tuple[tuple[str, str], ...]
    concurrency_metric: str


def targets_of(plan: Plan) -> list[Target]:
    """Each model's metrics, as its unit names them (`metric_targets`), in plan order."""
    return [Target(*target) for unit in plan.units for target in unit.metric_targets()]


@dataclass
class Series:
    invocations: dict[datetime, float]
    latency_us: dict[datetime, float]
    concurrency: dict[datetime, float]

    @property
    def empty(self) -> bool:
        return not (self.invocations or self.concurrency)


def period_for(since: timedelta) -> int:
    """Seconds per datapoint: about PERIODS_WANTED points, a multiple of the finest period CloudWatch still keeps that
    far back (GetMetricData API reference: "a multiple of 300 seconds" beyond 15 days, of 3600 beyond 63)."""
    for kept_for, finest in RETENTION:
        if since <= kept_for:
            return max(finest, math.ceil(since.total_seconds() / PERIODS_WANTED / finest) * finest)
    raise ValueError(f"CloudWatch keeps SageMaker metrics for {RETENTION[-1][0].days} days at most")


# (metric, statistic, which Series field)
_QUERIES = (("Invocations", "Sum", "invocations"), ("ModelLatency", "Average", "latency_us"), (None, "Average", "concurrency"))


def read_series(client: Any, targets: list[Target], start: datetime, end: datetime, period: int) -> dict[str, Series]:
    """Every target's series, MAX_QUERIES_PER_CALL queries per GetMetricData call, each call paginated."""
    queries, owners = [], {}
    for index, target in enumerate(targets):
        for metric, statistic, field in _QUERIES:
            query_id = f"m{index}_{field}"
            owners[query_id] = (target.model, field)
            queries.append({"Id": query_id, "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": NAMESPACE, "MetricName": metric or target.concurrency_metric,
                           "Dimensions": [{"Name": name, "Value": value} for name, value in target.dimensions]},
                "Period": period, "Stat": statistic}})
    series = {target.model: Series({}, {}, {}) for target in targets}
    paginator = client.get_paginator("get_metric_data")
    for first in range(0, len(queries), MAX_QUERIES_PER_CALL):
        batch = queries[first:first + MAX_QUERIES_PER_CALL]
        for page in paginator.paginate(MetricDataQueries=batch, StartTime=start, EndTime=end, ScanBy="TimestampAscending"):
            for result in page["MetricDataResults"]:
                model, field = owners[result["Id"]]
                values = getattr(series[model], field)
                for timestamp, value in zip(result["Timestamps"], result["Values"]):
                    values[timestamp] = value
    return series


@dataclass(frozen=True)
class Proposal:
    model: str
    pattern: str
    mean_concurrency: float
    peak_concurrency: float
    latency_ms: int | None  # the LATENCY_PERCENTILE-th percentile of per-period latency; None without latency data
    busy_share: float  # of the periods with traffic


def propose(model: str, series: Series, start: datetime, end: datetime, period: int) -> Proposal | None:
    """None when CloudWatch has no datapoint of the model in the period."""
    if series.empty:
        return None
    concurrency = concurrency_series(series, start, end, period)
    latencies = sorted(value / 1000 for value in series.latency_us.values())
    busy = sum(1 for value in concurrency if value > 0)
    return Proposal(
        model=model,
        pattern=classify(concurrency),
        mean_concurrency=fmean(concurrency),
        peak_concurrency=percentile(concurrency, PEAK_PERCENTILE),
        latency_ms=math.ceil(percentile(latencies, LATENCY_PERCENTILE)) if latencies else None,
        busy_share=busy / len(concurrency),
    )


def concurrency_series(series: Series, start: datetime, end: datetime, period: int) -> list[float]:
    """One value per period from `start`: invocations/s x latency (Little's law), or the concurrency metric, or idle."""
    moments = [start + timedelta(seconds=period * step) for step in range(int((end - start).total_seconds() // period))]
    # CloudWatch's timestamps are the periods' starts, in UTC: match them to ours by the second.
    by_second = [{_second(moment): value for moment, value in values.items()} for values in (series.invocations, series.latency_us, series.concurrency)]
    values = []
    for moment in moments:
        key = _second(moment)
        invocations, latency, concurrent = (field.get(key) for field in by_second)
        if invocations is not None and latency is not None:
            values.append(invocations / period * latency / 1_000_000)
        elif concurrent is not None:
            values.append(concurrent)
        else:
            values.append(0.0)
    return values


def _second(moment: datetime) -> int:
    return int(moment.timestamp())


def classify(concurrency: list[float]) -> str:
    """steady, variable, intermittent or batch, from a model's concurrency per period.

    - idle in at least IDLE_SHARE_INTERMITTENT of the periods: *batch* when its busy periods come in runs of at least
      BATCH_RUN_PERIODS at about one level (coefficient of variation below BATCH_VARIATION), else *intermittent*;
    - otherwise *steady* when the coefficient of variation is below STEADY_VARIATION, else *variable* (diurnal
      traffic among it)."""
    busy = [value for value in concurrency if value > 0]
    if not busy:
        return "intermittent"
    if 1 - len(busy) / len(concurrency) >= IDLE_SHARE_INTERMITTENT:
        runs = list(_busy_runs(concurrency))
        if all(len(run) >= BATCH_RUN_PERIODS and _variation(run) < BATCH_VARIATION for run in runs):
            return "batch"
        return "intermittent"
    return "steady" if _variation(concurrency) < STEADY_VARIATION else "variable"


def _busy_runs(concurrency: list[float]) -> Iterable[list[float]]:
    run: list[float] = []
    for value in concurrency + [0.0]:
        if value > 0:
            run.append(value)
        elif run:
            yield run
            run = []


def _variation(values: list[float]) -> float:
    mean = fmean(values)
    return pstdev(values) / mean if mean else 0.0


def percentile(values: list[float], rank: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]
