"""The traffic a simulation replays: a preset shaped from each model's stated traffic, or a CSV file.

Both give each model's concurrency (requests in flight, queued ones included) per step of `step_s` seconds.

Presets, each scaled to a model's `traffic:` (mean_concurrency, peak_concurrency):
- `steady`: the mean all the time;
- `diurnal`: one day's wave, lowest at 02:00 and highest (the peak) at 14:00 of each simulated day, averaging the mean;
- `spike`: the mean, with a spike to the peak lasting SPIKE_S at a random time in each SPIKE_EVERY_S;
- `step`: the mean, the peak from a third of the run to two thirds, then the mean again;
- `idle-then-burst`: no traffic for the first IDLE_SHARE of the run (long enough for scale to zero), then the peak.
The curve is the expected concurrency. Requests arrive around it as a Poisson process (independent callers) at
rate curve / service time, and each step's concurrency is its arrivals x service time / step (Little's law over
the step; over the service time when that is longer than a step, so a step never varies more than the number of
requests in service does), seeded by `seed`, so a run repeats.

A CSV has the header `timestamp,model,concurrency` or `timestamp,model,requests_per_s`. A timestamp is seconds from
the start of the trace or an ISO 8601 time with its zone (the first row's is the start), one kind per file; rows are
sorted by time. A row's value holds for its model until that model's next row; each step takes the time-weighted
mean within it. Requests per second become concurrency by Little's law at each model's service time, the one the
simulation serves it with (`loadmaster.commands.simulate` passes them).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from loadmaster.errors import PortfolioError, Problem
from loadmaster.simulator.model import Demand
from loadmaster.spec.base import ModelSpec

PRESETS = ("steady", "diurnal", "spike", "step", "idle-then-burst")
DAY_S = 86_400
DIURNAL_LOWEST_AT_S = 2 * 3600  # 02:00; the highest is 12 hours later
SPIKE_S = 300  # five minutes at the peak ...
SPIKE_EVERY_S = 6 * 3600  # ... once in every six hours (at least once)
IDLE_SHARE = 0.6  # of the run without traffic before the burst
COLUMNS = ("concurrency", "requests_per_s")
UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": DAY_S, "w": 7 * DAY_S}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


@dataclass(frozen=True)
class Trace:
    """The demand to replay, and what a reader of the results must know about how it was made."""

    demand: Demand
    source: str  # the preset's name or the CSV file's path
    notes: tuple[str, ...] = ()


def parse_duration(text: str) -> int:
    """`24h`, `90m`, `1w`, `1h30m`, `3600s` -> seconds. ValueError naming the accepted forms otherwise."""
    compact = text.strip().lower()
    if not compact or _DURATION.sub("", compact):
        raise ValueError(f"{text!r} is not a duration such as 90m, 24h, 1h30m, 7d or 1w (units s, m, h, d, w)")
    seconds = sum(float(number) * UNITS_S[unit] for number, unit in _DURATION.findall(compact))
    if seconds <= 0:
        raise ValueError(f"{text!r} is no time at all: give a positive duration")
    return math.ceil(seconds)


def steps_in(duration_s: int, step_s: int) -> int:
    """Whole steps covering `duration_s` (a partial last step counts as one)."""
    return max(1, math.ceil(duration_s / step_s))


def preset_trace(name: str, models: Sequence[ModelSpec], source: str, duration_s: int, seed: int, step_s: int,
                 service_time_s: Mapping[str, float]) -> Trace:
    """Preset `name` for every model with traffic, its requests taking `service_time_s`; a model without `traffic:` is
    refused (PortfolioError naming it), since any figure put in its place would be made up."""
    missing = [Problem(f"models[{index}] ({model.name}).traffic", f"the '{name}' trace is scaled to the model's traffic "
                       "(mean_concurrency, peak_concurrency), which it does not state: state it, or give a CSV trace")
               for index, model in enumerate(models) if model.traffic is None]
    if missing:
        raise PortfolioError(source, missing)
    steps = steps_in(duration_s, step_s)
    times = (np.arange(steps) + 0.5) * step_s  # the middle of each step
    generator = np.random.default_rng(seed)
    concurrency = {}
    for model in models:
        expected = _shape(name, model.traffic.mean_concurrency, model.traffic.peak_concurrency, times, steps * step_s, generator)
        window_s = max(step_s, service_time_s[model.name])
        arrivals = generator.poisson(expected * window_s / service_time_s[model.name])
        concurrency[model.name] = arrivals * service_time_s[model.name] / window_s
    notes = (f"'{name}' trace over {_hours(steps * step_s)}, seed {seed}: each model's stated traffic (mean, peak concurrency) "
             "shapes its expected concurrency, around which requests arrive as a Poisson process at each model's service time: "
             + ", ".join(f"{model.name} {service_time_s[model.name]:g} s" for model in models),)
    return Trace(Demand(concurrency, step_s), name, notes)


def _shape(name: str, mean: float, peak: float, times: np.ndarray, duration_s: int, generator: np.random.Generator) -> np.ndarray:
    if name == "steady":
        return np.full(times.shape, mean)
    if name == "diurnal":
        return _diurnal(mean, peak, times)
    if name == "spike":
        expected = np.full(times.shape, mean)
        for start in range(0, duration_s, SPIKE_EVERY_S):
            window = min(SPIKE_EVERY_S, duration_s - start)
            at = start + generator.uniform(0, max(0, window - SPIKE_S))
            expected[(times >= at) & (times < at + SPIKE_S)] = peak
        return expected
    if name == "step":
        return np.where((times >= duration_s / 3) & (times < 2 * duration_s / 3), peak, mean)
    if name == "idle-then-burst":
        return np.where(times < IDLE_SHARE * duration_s, 0.0, peak)
    raise ValueError(f"no preset {name!r}")


def _diurnal(mean: float, peak: float, times: np.ndarray) -> np.ndarray:
    """low + (peak - low) * wave**k, wave = (1 - cos) / 2 from 0 at 02:00 to 1 at 14:00: a sine between low and peak
    (k = 1) when the mean is at least half the peak, else from 0 and sharpened (k > 1) until the day averages the mean."""
    if peak <= mean:
        return np.full(times.shape, mean)
    low = max(0.0, 2 * mean - peak)
    wave = (1 - np.cos(2 * np.pi * (times - DIURNAL_LOWEST_AT_S) / DAY_S)) / 2
    share = (mean - low) / (peak - low)  # what the day's mean of wave**k must be
    # The mean of wave**k over a day is Gamma(k + 1/2) / (sqrt(pi) Gamma(k + 1)), falling from 1 at k = 0: bisect k.
    k_low, k_high = 0.0, 1.0
    while _wave_mean(k_high) > share:
        k_high *= 2
    for _ in range(60):
        k = (k_low + k_high) / 2
        k_low, k_high = (k, k_high) if _wave_mean(k) > share else (k_low, k)
    return low + (peak - low) * wave ** ((k_low + k_high) / 2)


def _wave_mean(k: float) -> float:
    return math.exp(math.lgamma(k + 0.5) - math.lgamma(k + 1)) / math.sqrt(math.pi)


def read_trace(path: Path, models: Sequence[ModelSpec], duration_s: int | None, step_s: int, service_time_s: Mapping[str, float]) -> Trace:
    """The CSV at `path`, resampled to `step_s`: over `duration_s` when given (the last rows' values held, or rows
    beyond it left out), else until one step after its last timestamp. Requests per second become concurrency at
    each model's `service_time_s` (Little's law). PortfolioError (exit 2) naming the file and line of the first bad row."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PortfolioError(source, [Problem("", "trace file not found (or name a preset: " + ", ".join(PRESETS) + ")")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PortfolioError(source, [Problem("", f"cannot read the trace: {getattr(error, 'strerror', None) or error}")]) from None
    rows = list(csv.reader(text.splitlines()))
    by_name = {model.name: model for model in models}
    header = [cell.strip() for cell in rows[0]] if rows else []
    if len(header) != 3 or header[:2] != ["timestamp", "model"] or header[2] not in COLUMNS:
        found = ",".join(header) if header else "nothing"
        raise PortfolioError(source, [Problem("line 1", f"expected the columns timestamp,model,concurrency or "
                                              f"timestamp,model,requests_per_s, found {found}")])
    column = header[2]
    converted: set[str] = set()
    times: dict[str, list[float]] = {name: [] for name in by_name}
    values: dict[str, list[float]] = {name: [] for name in by_name}
    start: float | None = None
    first_is_iso = False  # seconds and ISO times cannot mix: their scales differ by the epoch
    previous = -math.inf
    for number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"line {number}"
        if len(row) != 3:
            raise PortfolioError(source, [Problem(where, f"expected 3 values (timestamp,model,{column}), found {len(row)}")])
        stamp_text, name, value_text = (cell.strip() for cell in row)
        stamp, is_iso = _timestamp(stamp_text, source, where)
        if start is None:
            start, first_is_iso = stamp, is_iso
        elif is_iso != first_is_iso:
            kinds = ("seconds from the start", "an ISO 8601 time")
            raise PortfolioError(source, [Problem(where, f"timestamp {stamp_text} is {kinds[is_iso]} but the first row's is "
                                                  f"{kinds[first_is_iso]}: write every timestamp the same way")])
        if stamp < previous:
            raise PortfolioError(source, [Problem(where, f"timestamp {stamp_text} is before the line above's: sort the trace by time")])
        previous = stamp
        if name not in by_name:
            raise PortfolioError(source, [Problem(where, f"unknown model {name!r} (the portfolio has {', '.join(by_name)})")])
        value = _value(value_text, column, source, where)
        if column == "requests_per_s":
            value *= service_time_s[name]
            converted.add(name)
        times[name].append(stamp - start)
        values[name].append(value)
    if start is None:
        raise PortfolioError(source, [Problem("line 2", "the trace has no rows after its header")])
    end = duration_s if duration_s is not None else previous - start + step_s
    steps = steps_in(end, step_s)
    concurrency = {name: _resampled(times[name], values[name], steps, step_s) for name in by_name}
    notes = [f"trace {source}, {column}, over {_hours(steps * step_s)}, resampled to {step_s}-s steps (each the time-weighted mean)"]
    absent = [name for name in by_name if not times[name]]
    if absent:
        notes.append(f"no rows for {', '.join(absent)}: no traffic for them in this run")
    if converted:
        notes.append("requests_per_s turned into concurrency by Little's law at each model's service time: "
                     + ", ".join(f"{name} {service_time_s[name]:g} s" for name in by_name if name in converted))
    return Trace(Demand(concurrency, step_s), source, tuple(notes))


def _timestamp(text: str, source: str, where: str) -> tuple[float, bool]:
    """Seconds, and whether they were written as an ISO 8601 time (seconds since the epoch) rather than from the start."""
    try:
        return _finite(float(text)), False
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PortfolioError(source, [Problem(where, f"timestamp {text!r} is neither seconds from the start nor an ISO 8601 time "
                                              "such as 2026-12-01T14:00:00Z")]) from None
    if moment.tzinfo is None:
        raise PortfolioError(source, [Problem(where, f"timestamp {text!r} has no time zone: add Z or an offset such as +01:00")])
    return moment.timestamp(), True


def _value(text: str, column: str, source: str, where: str) -> float:
    try:
        value = _finite(float(text))
    except ValueError:
        raise PortfolioError(source, [Problem(where, f"{column} {text!r} is not a number")]) from None
    if value < 0:
        raise PortfolioError(source, [Problem(where, f"{column} {text} is negative")])
    return value


def _finite(number: float) -> float:
    if not math.isfinite(number):
        raise ValueError(number)
    return number


def _resampled(times: list[float], values: list[float], steps: int, step_s: int) -> np.ndarray:
    """Each step's time-weighted mean of the step function (times, values): zero before the first row, the last
    row's value after it."""
    if not times:
        return np.zeros(steps)
    at = np.asarray(times)
    levels = np.asarray(values)
    edges = np.arange(steps + 1, dtype=float) * step_s
    # The integral of the step function up to each row's time, then up to each step's edge.
    integral_at_rows = np.concatenate(([0.0], np.cumsum(levels[:-1] * np.diff(at))))
    row = np.searchsorted(at, edges, side="right") - 1
    integral = np.where(row < 0, 0.0, integral_at_rows[np.maximum(row, 0)] + levels[np.maximum(row, 0)] * (edges - at[np.maximum(row, 0)]))
    return np.diff(integral) / step_s


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:g} h"
