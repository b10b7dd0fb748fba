"""The whole bill of a plan, part by part, each with its price's source, region and date; and what a SageMaker
Savings Plans commitment would make of it.

Parts, for the plan and for the baseline alike (docs/aws-facts.md, "The bill and CloudWatch traffic"):
- *instances*: instance-hours at the catalog's prices (`loadmaster.planner.cost`);
- *storage*: the EBS volume SageMaker attaches to each hosting instance without local NVMe storage, per GB-month;
- *data processed*: the GB a real-time endpoint takes in and sends out, from each model's `traffic` payload sizes
  and request rate. Plan and baseline serve the same requests, so the part is the same for both.

A hosting pattern billed by use (serverless compute, batch transform job hours) gives each model's cost a `Meter`:
one part per meter follows the parts above. A part whose figure cannot be known is None, never 0, and
a total with such a part is None too; `counted_hourly_*` then says what the known parts add up to, and
`not_counted` which parts are missing and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from loadmaster.catalog import HOURS_PER_MONTH, Catalog, InstanceType
from loadmaster.planner.cost import UsageCost
from loadmaster.spec.base import ModelSpec

BYTES_PER_KB, BYTES_PER_GB = 1_000, 1_000_000_000
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class PriceSource:
    title: str
    url: str | None
    region: str | None
    date: str | None
    unverified: bool = False

    def document(self) -> dict[str, object]:
        return {"title": self.title, "url": self.url, "region": self.region, "date": self.date, "unverified": self.unverified}


SAGEMAKER_PRICING = "https://aws.amazon.com/sagemaker/pricing/"
# Real-time inference on the SageMaker pricing page, us-east-1: "Storage (General Purpose SSD)" per GB-month and
# "Data Processed IN" / "Data Processed OUT" per GB, as the page states them; not checked against the Price List API
# here, hence `unverified` in every part that uses them (docs/aws-facts.md).
ML_STORAGE_USD_PER_GB_MONTH = 0.14
DATA_PROCESSED_IN_USD_PER_GB = 0.016
DATA_PROCESSED_OUT_USD_PER_GB = 0.016
REAL_TIME_PRICES = PriceSource("SageMaker pricing page, real-time inference: ML storage (General Purpose SSD) per GB-month, data processed in and out per GB",
                               SAGEMAKER_PRICING, "us-east-1", "2026-12-01", unverified=True)
# SageMaker attaches no EBS volume where the instance has NVMe instance storage, and mounts that instead (SageMaker
# developer guide, "Host instance storage volumes" and its table, aws.amazon.com/releasenotes/host-instance-storage-volumes-table).
# The volume size of each EBS-only type is in that table, which loadmaster does not ship yet: those types' storage is unknown.
HOST_STORAGE_TABLE = "https://aws.amazon.com/releasenotes/host-instance-storage-volumes-table/"


@dataclass(frozen=True)
class Part:
    """One line of a bill: what it costs per hour at mean and at peak traffic, how it was counted, and from which price."""

    name: str
    hourly_at_mean: float | None  # None: not known (see `not_counted`), never 0 for want of a figure
    hourly_at_peak: float | None
    basis: str
    sources: tuple[PriceSource, ...]
    not_counted: str | None = None  # why the figure is unknown

    def document(self) -> dict[str, object]:
        return {"part": self.name, "hourly_at_mean": _rounded(self.hourly_at_mean), "hourly_at_peak": _rounded(self.hourly_at_peak),
                "monthly_at_mean": _rounded(_monthly(self.hourly_at_mean)), "monthly_at_peak": _rounded(_monthly(self.hourly_at_peak)),
                "basis": self.basis, "not_counted": self.not_counted, "sources": [source.document() for source in self.sources]}


@dataclass(frozen=True)
class Side:
    """One bill: the plan's, or the baseline's (one endpoint per model) at the same traffic."""

    parts: tuple[Part, ...]

    @property
    def hourly_at_mean(self) -> float | None:
        return _total(part.hourly_at_mean for part in self.parts)

    @property
    def hourly_at_peak(self) -> float | None:
        return _total(part.hourly_at_peak for part in self.parts)

    @property
    def counted_hourly_at_mean(self) -> float:
        return sum(part.hourly_at_mean for part in self.parts if part.hourly_at_mean is not None)

    @property
    def counted_hourly_at_peak(self) -> float:
        return sum(part.hourly_at_peak for part in self.parts if part.hourly_at_peak is not None)

    @property
    def not_counted(self) -> tuple[str, ...]:
        return tuple(part.name for part in self.parts if part.hourly_at_mean is None or part.hourly_at_peak is None)

    def part(self, name: str) -> Part:
        return next(part for part in self.parts if part.name == name)

    def document(self) -> dict[str, object]:
        return {
            "hourly_at_mean": _rounded(self.hourly_at_mean), "hourly_at_peak": _rounded(self.hourly_at_peak),
            "monthly_at_mean": _rounded(_monthly(self.hourly_at_mean)), "monthly_at_peak": _rounded(_monthly(self.hourly_at_peak)),
            # What the known parts add up to when a part is unknown: a partial total, named so.
            "counted_hourly_at_mean": _rounded(self.counted_hourly_at_mean), "counted_hourly_at_peak": _rounded(self.counted_hourly_at_peak),
            "not_counted": list(self.not_counted),
            "parts": [part.document() for part in self.parts],
        }


@dataclass(frozen=True)
class Bill:
    plan: Side
    baseline: Side
    # Instance-hours that run all the time, at on-demand prices: floors, and steady models at their mean.
    always_on_hourly: float | None
    always_on_basis: str


@dataclass(frozen=True)
class Usage:
    """What a bill is counted from: instances by type at mean and at peak, and the models' traffic."""

    instances_at_mean: tuple[tuple[InstanceType, int], ...]
    instances_at_peak: tuple[tuple[InstanceType, int], ...]
    models: tuple[ModelSpec, ...]
    # What those instances cost per hour, as `loadmaster.planner.cost` priced them (None: a price is unknown).
    instances_hourly_at_mean: float | None
    instances_hourly_at_peak: float | None
    storage_gb: Mapping[str, int]  # the portfolio's `storage_gb:`, volume GB by EBS-only instance type
    by_use: tuple[UsageCost, ...] = ()  # models billed by use, not instances (serverless endpoints, say)


def plan_bill(plan_usage: Usage, baseline_usage: Usage, catalog: Catalog, always_on: tuple[tuple[InstanceType, int], ...],
              always_on_basis: str) -> Bill:
    # Plan and baseline have the same parts: a meter's models are billed alike in both.
    plan = Side(tuple(build(plan_usage, catalog) for build in PART_BUILDERS) + by_use_parts(plan_usage))
    baseline = Side(tuple(build(baseline_usage, catalog) for build in PART_BUILDERS) + by_use_parts(baseline_usage))
    return Bill(plan, baseline, _on_demand(always_on), always_on_basis)


def _on_demand(charges: Iterable[tuple[InstanceType, int]]) -> float | None:
    return _total(None if instance.price_usd_per_hour is None else instance.price_usd_per_hour * count for instance, count in charges if count)


def instances_part(usage: Usage, catalog: Catalog) -> Part:
    """Instance-hours, as `loadmaster.planner.cost` prices them (the same figures as the plan's cost table)."""
    used = {instance.name: instance for instance, count in usage.instances_at_peak + usage.instances_at_mean if count}
    sources = {instance.price_source: _catalog_source(catalog, instance) for instance in used.values() if instance.price_source}
    unpriced = sorted(name for name, instance in used.items() if instance.price_usd_per_hour is None)
    at_mean, at_peak = usage.instances_hourly_at_mean, usage.instances_hourly_at_peak
    return Part("instances", at_mean, at_peak, f"at mean {_listing(usage.instances_at_mean)}; at peak {_listing(usage.instances_at_peak)}",
                tuple(sources[key] for key in sorted(sources)),
                f"no price for {', '.join(unpriced)}" if unpriced else
                "a model has no priced instance type to run alone on (see the notes)" if at_mean is None or at_peak is None else None)


def storage_part(usage: Usage, catalog: Catalog) -> Part:
    """The EBS volume of every instance without local NVMe storage, per GB-month, counted per instance-hour."""
    used = {instance.name: instance for instance, count in usage.instances_at_peak + usage.instances_at_mean if count}
    ebs_only = sorted(name for name, instance in used.items() if not instance.has_local_nvme)
    nvme = sorted(name for name, instance in used.items() if instance.has_local_nvme)
    sized = [f"{usage.storage_gb[name]} GB on {name} (storage_gb)" for name in ebs_only if name in usage.storage_gb]
    basis = "; ".join(([f"no EBS volume on {', '.join(nvme)} (local NVMe instance storage instead)"] if nvme else []) + sized
                      + [f"{ML_STORAGE_USD_PER_GB_MONTH:g} USD per GB-month / {HOURS_PER_MONTH} h"])
    unsized = [name for name in ebs_only if name not in usage.storage_gb]
    if unsized:
        example = ", ".join(f"{name}: <GB>" for name in unsized)
        return Part("storage", None, None, basis, (REAL_TIME_PRICES,),
                    f"the volume SageMaker attaches to {', '.join(unsized)} is in the Host Instance Storage Volumes Table "
                    f"({HOST_STORAGE_TABLE}), which loadmaster does not ship: state it, `storage_gb: {{{example}}}`")

    def hourly(charges: tuple[tuple[InstanceType, int], ...]) -> float:
        gb = sum(count * usage.storage_gb.get(instance.name, 0) for instance, count in charges if not instance.has_local_nvme)
        return gb * ML_STORAGE_USD_PER_GB_MONTH / HOURS_PER_MONTH

    return Part("storage", hourly(usage.instances_at_mean), hourly(usage.instances_at_peak), basis, (REAL_TIME_PRICES,))


def data_processed_part(usage: Usage, catalog: Catalog) -> Part:
    """GB in and out of the endpoints, from each model's payload sizes and request rate."""
    not_stated = [model.name for model in usage.models if _payload(model) is None]
    no_rate = [model.name for model in usage.models if _payload(model) is not None and _requests_per_s(model) is None]
    price = f"{DATA_PROCESSED_IN_USD_PER_GB:g} USD per GB in, {DATA_PROCESSED_OUT_USD_PER_GB:g} per GB out"
    derived = [model.name for model in usage.models if _payload(model) and model.traffic.requests_per_s is None and _requests_per_s(model) is not None]
    basis = price + (f"; requests/s of {', '.join(derived)} derived by Little's law (mean_concurrency / latency_slo_ms), "
                     "a floor: requests that finish sooner than their SLO come more often" if derived else "")
    if not_stated or no_rate:
        reasons = []
        if not_stated:
            reasons.append(f"payload sizes not stated for {', '.join(not_stated)} (traffic: request_kb, response_kb)")
        if no_rate:
            reasons.append(f"no request rate for {', '.join(no_rate)} (traffic: requests_per_s, or latency_slo_ms to derive it)")
        return Part("data processed", None, None, basis, (REAL_TIME_PRICES,), "; ".join(reasons))
    at_mean = sum(_data_hourly(model, peak=False) for model in usage.models)
    at_peak = sum(_data_hourly(model, peak=True) for model in usage.models)
    return Part("data processed", at_mean, at_peak, basis, (REAL_TIME_PRICES,))


@dataclass(frozen=True)
class Meter:
    """A part of the bill that models are billed by use in (a hosting pattern's `cost_by_use` names it): "serverless
    compute", counted as `basis` of the models, at the price of `source`."""

    part: str
    basis: str
    source: PriceSource


def by_use_parts(usage: Usage) -> tuple[Part, ...]:
    """One part per meter the models billed by use are counted in, in the order of their first model."""
    meters = {cost.meter: [other for other in usage.by_use if other.meter == cost.meter] for cost in usage.by_use}
    return tuple(Part(meter.part, sum(cost.hourly_at_mean for cost in costs), sum(cost.hourly_at_peak for cost in costs),
                      f"{meter.basis} of " + ", ".join(cost.model for cost in costs), (meter.source,))
                 for meter, costs in meters.items())


# Each builder adds one part, for the plan and for the baseline alike.
PartBuilder = Callable[[Usage, Catalog], Part]
PART_BUILDERS: tuple[PartBuilder, ...] = (instances_part, storage_part, data_processed_part)


def _payload(model: ModelSpec) -> tuple[float, float] | None:
    traffic = model.traffic
    if traffic is None or traffic.request_kb is None or traffic.response_kb is None:
        return None
    return traffic.request_kb, traffic.response_kb


def _requests_per_s(model: ModelSpec, peak: bool = False) -> float | None:
    """As stated at mean traffic (at peak: grown with concurrency, peak_concurrency / mean_concurrency), or by
    Little's law from the concurrency and the latency SLO."""
    traffic = model.traffic
    if traffic.requests_per_s is not None and (not peak or traffic.mean_concurrency):
        return traffic.requests_per_s * (traffic.peak_concurrency / traffic.mean_concurrency if peak else 1)
    if model.latency_slo_ms:
        return (traffic.peak_concurrency if peak else traffic.mean_concurrency) / (model.latency_slo_ms / 1000)
    return traffic.requests_per_s


def _data_hourly(model: ModelSpec, peak: bool) -> float:
    request_kb, response_kb = _payload(model)
    gb_per_hour = _requests_per_s(model, peak) * SECONDS_PER_HOUR * BYTES_PER_KB / BYTES_PER_GB
    return gb_per_hour * (request_kb * DATA_PROCESSED_IN_USD_PER_GB + response_kb * DATA_PROCESSED_OUT_USD_PER_GB)


def _catalog_source(catalog: Catalog, instance: InstanceType) -> PriceSource:
    entry = catalog.sources.get(instance.price_source, {}) if instance.price_source else {}
    title = entry.get("title") or instance.price_source_title or str(instance.price_source)
    return PriceSource(str(title), entry.get("url"), catalog.region, entry.get("date"),  # type: ignore[arg-type]
                       unverified=bool(entry.get("unverified") or entry.get("estimate")))


def _listing(charges: tuple[tuple[InstanceType, int], ...]) -> str:
    counts: dict[str, int] = {}
    for instance, count in charges:
        counts[instance.name] = counts.get(instance.name, 0) + count
    listed = [f"{count} x {name}" for name, count in counts.items() if count]
    return ", ".join(listed) if listed else "no instances"


def _total(costs: Iterable[float | None]) -> float | None:
    costs = list(costs)
    return None if any(cost is None for cost in costs) else sum(costs)


def _monthly(hourly: float | None) -> float | None:
    return None if hourly is None else hourly * HOURS_PER_MONTH


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# --- SageMaker Savings Plans -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SavingsPlanRate:
    term: str
    discount: float  # off on-demand, 0..1
    source: PriceSource


# Defaults, overridable with `--savings-plan-discount`: AWS publishes per-type Savings Plans rates
# (aws.amazon.com/savingsplans/ml-pricing/), which loadmaster does not ship. The only public headline figure is
# "up to 64%" off on-demand (the best case, a 3-year term); the 1-year figure is the low end of the "30-64%" range a
# public guide quotes for SageMaker Savings Plans. Both are estimates: check your instance types' rates.
SAVINGS_PLAN_RATES = {
    "1y": SavingsPlanRate("1y", 0.30, PriceSource("estimate: low end of the 30-64% SageMaker Savings Plans range quoted by emnode.com, "
                                                  "'SageMaker Savings Plans: the basics'", "https://www.emnode.com/learn/lesson/purchase-sagemaker-savings-plans/",
                                                  None, "2026-12-01", unverified=True)),
    "3y": SavingsPlanRate("3y", 0.64, PriceSource("AWS's headline 'up to 64%' off on-demand for SageMaker Savings Plans (the best case)",
                                                  "https://aws.amazon.com/savingsplans/ml-pricing/", None, "2026-12-01", unverified=True)),
}


def savings_plan_rate(term: str, discount_percent: float | None) -> SavingsPlanRate:
    """The default rate of the term, or the user's own discount (`--savings-plan-discount PERCENT`)."""
    if discount_percent is None:
        return SAVINGS_PLAN_RATES[term]
    return SavingsPlanRate(term, discount_percent / 100, PriceSource("your --savings-plan-discount", None, None, None))


@dataclass(frozen=True)
class SavingsPlanAdvice:
    """Commit to the always-on part of the plan: it runs every hour, so the commitment is never left unused.

    Savings Plans cover SageMaker instance usage only: storage and data processed stay at their prices."""

    rate: SavingsPlanRate
    always_on_hourly: float | None  # on-demand USD/h of what runs all the time
    always_on_basis: str
    plan: Side

    @property
    def commitment_hourly(self) -> float | None:
        """USD/h to commit to: the always-on instance-hours at the Savings Plans rate."""
        return None if self.always_on_hourly is None else self.always_on_hourly * (1 - self.rate.discount)

    @property
    def break_even_utilisation(self) -> float:
        """The share of hours the committed capacity must run for the commitment to cost no more than on-demand:
        Savings Plans rate / on-demand rate."""
        return 1 - self.rate.discount

    def effective_hourly(self, at_peak: bool) -> float | None:
        total = self.plan.hourly_at_peak if at_peak else self.plan.hourly_at_mean
        if total is None or self.always_on_hourly is None:
            return None
        return total - self.always_on_hourly + self.commitment_hourly

    def effective_counted_hourly(self, at_peak: bool) -> float | None:
        """As `effective_hourly`, over the parts that are known (when a part is unknown)."""
        if self.always_on_hourly is None or self.plan.part("instances").hourly_at_mean is None:
            return None
        total = self.plan.counted_hourly_at_peak if at_peak else self.plan.counted_hourly_at_mean
        return total - self.always_on_hourly + self.commitment_hourly

    def document(self) -> dict[str, object]:
        return {
            "term": self.rate.term, "discount": self.rate.discount, "rate_source": self.rate.source.document(),
            "always_on_on_demand_hourly": _rounded(self.always_on_hourly), "always_on": self.always_on_basis,
            "commitment_usd_per_hour": _rounded(self.commitment_hourly),
            "effective_hourly_at_mean": _rounded(self.effective_hourly(False)), "effective_hourly_at_peak": _rounded(self.effective_hourly(True)),
            "effective_monthly_at_mean": _rounded(_monthly(self.effective_hourly(False))),
            "effective_counted_hourly_at_mean": _rounded(self.effective_counted_hourly(False)),
            "effective_counted_hourly_at_peak": _rounded(self.effective_counted_hourly(True)),
            "break_even_utilisation": round(self.break_even_utilisation, 4),
            "covers": "SageMaker instance usage only: storage and data processed stay at their prices",
        }


def savings_plan_advice(bill: Bill, rate: SavingsPlanRate) -> SavingsPlanAdvice:
    return SavingsPlanAdvice(rate, bill.always_on_hourly, bill.always_on_basis, bill.plan)
