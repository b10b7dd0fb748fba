"""Batch transform as plain data: what SageMaker accepts of a transform job, when a transform runs (an EventBridge
Scheduler cron or rate expression in a time zone) and how often that is a month, how long a run takes and what it
costs. No CDK, SciPy or pydantic import.

A transform job starts its instances, runs the model over every object under an S3 prefix, writes one output object
per input object under the output prefix and stops: it is billed per instance for the time it runs (SageMaker
developer guide, "Batch transform for inference with Amazon SageMaker AI"; SageMaker pricing page, "Batch
Transform"). Nothing runs between runs.
"""

from __future__ import annotations

import calendar
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date
from functools import cache

from loadmaster.limits import (
    TRANSFORM_BATCH_STRATEGIES,
    TRANSFORM_INVOCATION_RETRIES_RANGE,
    TRANSFORM_INVOCATION_TIMEOUT_RANGE_S,
    TRANSFORM_MAX_CONCURRENT_TRANSFORMS_MIN,
    TRANSFORM_MAX_PAYLOAD_RANGE_MB,
    TRANSFORM_MAX_PAYLOAD_TIMES_CONCURRENCY_MB,
    TRANSFORM_MIN_INSTANCE_COUNT,
    TRANSFORM_SPLIT_TYPES,
)

SECONDS_PER_HOUR = 3600
# The mean Gregorian month (365.2425 days / 12), what a rate schedule's runs per month are counted over. Their cost
# per hour is that month's cost over `loadmaster.catalog.HOURS_PER_MONTH`, so that a bill's month shows it whole.
DAYS_PER_MONTH = 365.2425 / 12
# The years a cron expression's runs are averaged over when its year field allows them: four years with one leap
# year, so that a schedule on the 29th, or on a weekday, is counted as it falls on average.
REFERENCE_YEARS = (2028, 2029, 2030, 2031)


def transform_problems(
    *,
    instance_type: str,
    instance_count: int,
    max_concurrent_transforms: int | None = None,
    max_payload_mb: int | None = None,
    batch_strategy: str | None = None,
    split_type: str = "None",
    invocation_timeout_s: int | None = None,
    invocation_retries: int | None = None,
) -> list[str]:
    """Why CreateTransformJob would refuse these settings, every reason. The ranges are botocore's sagemaker service
    model's (`loadmaster.limits`, TRANSFORM_*); the instance type must be one of its TransformInstanceType enum,
    a shorter list than hosting's (no p4d, p5 nor g6e, for example)."""
    problems = []
    if instance_type not in transform_instance_types():
        problems.append(f"instance_type {instance_type!r} is not a batch transform instance type (botocore's TransformInstanceType lists {len(transform_instance_types())})")
    if instance_count < TRANSFORM_MIN_INSTANCE_COUNT:
        problems.append(f"instance_count must be at least {TRANSFORM_MIN_INSTANCE_COUNT}, got {instance_count}")
    if max_concurrent_transforms is not None and max_concurrent_transforms < TRANSFORM_MAX_CONCURRENT_TRANSFORMS_MIN:
        problems.append(f"max_concurrent_transforms must be at least {TRANSFORM_MAX_CONCURRENT_TRANSFORMS_MIN} (0: SageMaker chooses), got {max_concurrent_transforms}")
    low, high = TRANSFORM_MAX_PAYLOAD_RANGE_MB
    if max_payload_mb is not None and not low <= max_payload_mb <= high:
        problems.append(f"max_payload_mb must be {low} to {high}, got {max_payload_mb}")
    elif max_payload_mb and max_concurrent_transforms and max_payload_mb * max_concurrent_transforms > TRANSFORM_MAX_PAYLOAD_TIMES_CONCURRENCY_MB:
        problems.append(
            f"max_concurrent_transforms x max_payload_mb must not exceed {TRANSFORM_MAX_PAYLOAD_TIMES_CONCURRENCY_MB} MB, "
            f"got {max_concurrent_transforms} x {max_payload_mb} = {max_concurrent_transforms * max_payload_mb}"
        )
    if split_type not in TRANSFORM_SPLIT_TYPES:
        problems.append(f"split_type must be one of {', '.join(TRANSFORM_SPLIT_TYPES)}, got {split_type!r}")
    if batch_strategy is not None:
        if batch_strategy not in TRANSFORM_BATCH_STRATEGIES:
            problems.append(f"batch_strategy must be one of {', '.join(TRANSFORM_BATCH_STRATEGIES)}, got {batch_strategy!r}")
        elif split_type == "None":
            problems.append(f"batch_strategy {batch_strategy} takes effect only with split_type Line, RecordIO or TFRecord (records are whole objects with None)")
    for name, value, (low, high) in (("invocation_timeout_s", invocation_timeout_s, TRANSFORM_INVOCATION_TIMEOUT_RANGE_S), ("invocation_retries", invocation_retries, TRANSFORM_INVOCATION_RETRIES_RANGE)):
        if value is not None and not low <= value <= high:
            problems.append(f"{name} must be {low} to {high}, got {value}")
    return problems


@cache
def transform_instance_types() -> frozenset[str]:
    """The instance types a transform job takes: botocore's TransformInstanceType enum, the list the API checks."""
    import botocore.session  # only when asked: botocore's models take a moment to load

    return frozenset(botocore.session.get_session().get_service_model("sagemaker").shape_for("TransformInstanceType").enum)


# ---------------------------------------------------------------------------------------------------------------
# Schedules: EventBridge Scheduler's cron and rate expressions ("Schedule types on EventBridge Scheduler",
# EventBridge Scheduler user guide; EventBridge user guide, "Cron expressions reference" and "Rate expressions
# reference", whose field rules Scheduler shares).

_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((?P<fields>[^()]*)\)$")
_MINUTES_PER_UNIT = {"minute": 1, "hour": 60, "day": 1440}
_MONTHS = {name: number for number, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}  # cron counts 1 = Sunday


@dataclass(frozen=True)
class Schedule:
    """When a transform runs: `expression` is ``cron(minutes hours day-of-month month day-of-week year)`` or
    ``rate(value unit)``, evaluated in `time_zone` (an IANA name)."""

    expression: str
    time_zone: str = "UTC"

    @property
    def runs_per_month(self) -> float:
        """Runs in a mean month: a rate's interval into the mean Gregorian month (from the schedule's start); a cron
        expression's runs over the years of `REFERENCE_YEARS` it allows (else the first four years it names),
        per month. Time-zone changes of clock (daylight saving) are not counted: they move a run, or on the day
        of the change add or skip one."""
        if rate := _RATE.match(self.expression):
            return DAYS_PER_MONTH * 1440 / (int(rate["value"]) * _MINUTES_PER_UNIT[rate["unit"].rstrip("s")])
        return _Cron.parse(self.expression).runs_per_month()

    def problems(self) -> list[str]:
        """Why EventBridge Scheduler would refuse the expression or the time zone, every reason."""
        problems = []
        if self.expression.startswith("rate("):
            problems += _rate_problems(self.expression)
        elif self.expression.startswith("cron("):
            try:
                _Cron.parse(self.expression)
            except ValueError as error:
                problems.append(str(error))
        elif self.expression.startswith("at("):
            problems.append(f"schedule {self.expression!r} runs once (an at() expression): a transform runs on a recurring cron() or rate() schedule")
        else:
            problems.append(f"schedule must be cron(minutes hours day-of-month month day-of-week year) or rate(value unit), got {self.expression!r}")
        if not _is_time_zone(self.time_zone):
            problems.append(f"time_zone {self.time_zone!r} is not an IANA time zone name (such as UTC or Europe/Paris)")
        return problems


def _rate_problems(expression: str) -> list[str]:
    rate = _RATE.match(expression)
    if not rate:
        return [f"schedule {expression!r} is not rate(value unit), value a positive whole number, unit minute(s), hour(s) or day(s)"]
    value, unit = int(rate["value"]), rate["unit"]
    if value < 1:
        return [f"schedule {expression!r}: the rate's value must be a positive whole number"]
    if (value == 1) != (not unit.endswith("s")):
        return [f"schedule {expression!r}: the unit is singular for a value of 1 and plural above (rate(1 hour), rate(5 hours))"]
    return []


def _is_time_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class _Field:
    """One cron field's allowed values, and the day fields' specials (L, W, #)."""

    values: frozenset[int]
    any: bool = False  # `*` or `?`: the field does not restrict
    unset: bool = False  # `?`
    last: bool = False  # day of month L: the last day; day of week nL: the last weekday n of the month
    last_weekday: int | None = None
    nearest_weekday: int | None = None  # day of month nW
    nth: tuple[int, int] | None = None  # day of week d#n: the n-th weekday d of the month


class _Cron:
    """A parsed cron expression: which minutes, hours, days, months and years it runs in."""

    _RANGES = {"minutes": (0, 59), "hours": (0, 23), "day-of-month": (1, 31), "month": (1, 12), "day-of-week": (1, 7), "year": (1970, 2199)}

    def __init__(self, fields: dict[str, _Field]) -> None:
        self.fields = fields

    @classmethod
    def parse(cls, expression: str) -> _Cron:
        match = _CRON.match(expression)
        parts = match["fields"].split() if match else []
        if len(parts) != 6:
            raise ValueError(f"schedule {expression!r} is not cron(minutes hours day-of-month month day-of-week year): six fields")
        fields = {name: cls._field(expression, name, text) for name, text in zip(cls._RANGES, parts)}
        if fields["day-of-month"].unset == fields["day-of-week"].unset:
            raise ValueError(f"schedule {expression!r}: one of day-of-month and day-of-week must be ?, and only one")
        return cls(fields)

    @classmethod
    def _field(cls, expression: str, name: str, text: str) -> _Field:
        low, high = cls._RANGES[name]
        refused = ValueError(f"schedule {expression!r}: {name} {text!r} is not a valid value ({low}-{high}{cls._names_hint(name)})")
        if text == "?":
            if name not in ("day-of-month", "day-of-week"):
                raise refused
            return _Field(frozenset(), any=True, unset=True)
        if name == "day-of-month":
            if text == "L":
                return _Field(frozenset(), last=True)
            if nearest := re.fullmatch(r"(\d{1,2})W", text):
                if not low <= int(nearest[1]) <= high:
                    raise refused
                return _Field(frozenset(), nearest_weekday=int(nearest[1]))
        if name == "day-of-week":
            if last := re.fullmatch(r"(\w{1,3})L", text):
                return _Field(frozenset(), last_weekday=cls._value(last[1], name, refused))
            if nth := re.fullmatch(r"(\w{1,3})#([1-5])", text):
                return _Field(frozenset(), nth=(cls._value(nth[1], name, refused), int(nth[2])))
        values: set[int] = set()
        for item in text.split(","):
            values |= cls._item(item, name, refused)
        return _Field(frozenset(values), any=text == "*")

    @classmethod
    def _item(cls, item: str, name: str, refused: ValueError) -> set[int]:
        low, high = cls._RANGES[name]
        spread, _, step_text = item.partition("/")
        if step_text and not (step_text.isdigit() and int(step_text) >= 1):
            raise refused
        step = int(step_text or 1)
        if spread == "*":
            first, last = low, high
        elif "-" in spread:
            first_text, last_text = spread.split("-", 1)
            first, last = cls._value(first_text, name, refused), cls._value(last_text, name, refused)
            if first > last:
                raise refused
        else:
            first = cls._value(spread, name, refused)
            last = high if step_text else first
        return set(range(first, last + 1, step))

    @classmethod
    def _value(cls, text: str, name: str, refused: ValueError) -> int:
        names = _MONTHS if name == "month" else _WEEKDAYS if name == "day-of-week" else {}
        if text.upper() in names:
            return names[text.upper()]
        low, high = cls._RANGES[name]
        if not text.isdigit() or not low <= int(text) <= high:
            raise refused
        return int(text)

    @staticmethod
    def _names_hint(name: str) -> str:
        return {"month": " or JAN-DEC", "day-of-week": " or SUN-SAT, 1 = Sunday"}.get(name, "")

    def runs_per_month(self) -> float:
        years = [year for year in REFERENCE_YEARS if year in self.fields["year"].values] or sorted(self.fields["year"].values)[:4]
        runs_a_day = len(self.fields["minutes"].values) * len(self.fields["hours"].values)
        days = sum(self._runs_on(date(year, month, day)) for year in years for month in self.fields["month"].values for day in range(1, calendar.monthrange(year, month)[1] + 1))
        return days * runs_a_day / (12 * len(years))

    def _runs_on(self, day: date) -> bool:
        month_days = calendar.monthrange(day.year, day.month)[1]
        weekday = day.isoweekday() % 7 + 1  # cron's: 1 = Sunday .. 7 = Saturday
        of_month, of_week = self.fields["day-of-month"], self.fields["day-of-week"]
        if not of_month.unset:
            if of_month.last:
                return day.day == month_days
            if of_month.nearest_weekday is not None:
                return day == _nearest_weekday(day.year, day.month, of_month.nearest_weekday)
            return day.day in of_month.values
        if of_week.last_weekday is not None:
            return weekday == of_week.last_weekday and day.day + 7 > month_days
        if of_week.nth is not None:
            return weekday == of_week.nth[0] and (day.day - 1) // 7 + 1 == of_week.nth[1]
        return weekday in of_week.values


def _nearest_weekday(year: int, month: int, wanted: int) -> date | None:
    """The weekday (Monday to Friday) nearest to day `wanted` of the month, within the month: cron's nW."""
    month_days = calendar.monthrange(year, month)[1]
    if wanted > month_days:
        return None
    day = date(year, month, wanted)
    if day.weekday() == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return date(year, month, wanted - 1) if wanted > 1 else date(year, month, wanted + 2)
    if day.weekday() == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return date(year, month, wanted + 1) if wanted < month_days else date(year, month, wanted - 2)
    return day


# ---------------------------------------------------------------------------------------------------------------
# Run time and cost.


@dataclass(frozen=True)
class RunTime:
    """How long one run takes, and where that figure comes from (a user acts on it only knowing its basis)."""

    hours: float
    basis: str


def run_time(*, run_hours: float | None = None, records: int | None = None, processing_s: float | None = None, instance_count: int = 1, max_concurrent_transforms: int | None = None) -> RunTime | None:
    """A stated `run_hours`, else the estimate ``records x processing_s / (instance_count x concurrency)``, where
    concurrency is `max_concurrent_transforms` (unset or 0, SageMaker chooses: counted as 1, the API's default).
    None when neither is known: a cost is then unknown, never 0. The estimate leaves out the instances' start (the
    image pull and the model download) and counts every record as taking `processing_s`."""
    if run_hours is not None:
        return RunTime(run_hours, f"run_hours {run_hours:g} as stated")
    if records is None or processing_s is None:
        return None
    concurrency = max_concurrent_transforms or 1
    hours = records * processing_s / (instance_count * concurrency) / SECONDS_PER_HOUR
    return RunTime(hours, f"{records} records x {processing_s:g} s / ({instance_count} instances x {concurrency} concurrent) = {hours:.3g} h")


@dataclass(frozen=True)
class TransformCost:
    """What a transform costs a run and a month, with how each figure was reached."""

    per_run: float
    runs_per_month: float | None  # None: started by new objects or by hand, so runs a month are not known
    run_time: RunTime
    hourly: float  # instance_count x the instance's price

    @property
    def per_month(self) -> float | None:
        return None if self.runs_per_month is None else self.per_run * self.runs_per_month


def transform_cost(*, instance_count: int, price_per_hour: float, run: RunTime, schedule: Schedule | None) -> TransformCost:
    """instance_count x price_per_hour x run hours a run; times the schedule's runs per month a month."""
    hourly = instance_count * price_per_hour
    return TransformCost(hourly * run.hours, schedule.runs_per_month if schedule else None, run, hourly)
