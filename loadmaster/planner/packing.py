"""Packing copies onto instances: which pool each model joins, on which instance type, and how many instances.

Two problems, both solved with SciPy's HiGHS MILP solver (`scipy.optimize.milp`):

- *Choosing pools* (`choose_pools`): every model the user left unplaced goes to one pool per instance type
  (`auto-<type>`), so that the expected cost is lowest while peak traffic fits. Each pool's capacity is its
  instance count times the instance's accelerators, memory and CPU, at mean and at peak traffic.
- *Packing a pool* (`pack`): the copies are placed on whole instances, every resource dimension respected
  (multi-dimensional bin packing). First-fit decreasing gives a packing; when it uses more instances than the
  resource totals need, the solver looks for one with fewer.

Both are deterministic: HiGHS gives the same answer to the same model and options, and stops on node limits, not on
wall-clock time (its time limit is only a safety net).
"""

from __future__ import annotations

import math
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Iterator

import numpy as np
from scipy.optimize import Bounds as VariableBounds
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import coo_array

from loadmaster.catalog import Catalog, InstanceType
from loadmaster.planner.sizing import Counts, Demand, capacity

# The peak instance count only breaks ties between pools of equal expected cost.
PEAK_WEIGHT = 1e-3
CHOOSE_NODE_LIMIT = 2_000
PACK_NODE_LIMIT = 500
PACK_MAX_VARIABLES = 1_000
PACK_MAX_ATTEMPTS = 8
SOLVER_TIME_LIMIT_S = 20.0  # a safety net only: the node limits stop the solver first on every case we measured
EPSILON = 1e-9

Placement = tuple[tuple[tuple[str, int], ...], ...]  # per instance: (model, copies) sharing it


@dataclass(frozen=True)
class Unit:
    """A model to place: what a copy needs on each instance type it may run on, and how many copies: at floor,
    mean and peak traffic, and the most its autoscaling may reach (`most`, the user's copies.max when written)."""

    model: str
    demands: dict[str, Demand]
    copies: Counts
    most: int


@dataclass(frozen=True)
class Packing:
    instances: Counts
    most_instances: int  # to hold every unit at its `most` at once: the pool's instances.max
    at_expected: Placement
    at_peak: Placement


LEVELS = {level: attrgetter(f"copies.{level}") for level in ("min", "expected", "peak")} | {"most": attrgetter("most")}


@contextmanager
def _native_stdout_silenced() -> Iterator[None]:
    """HiGHS 1.x (SciPy 1.17) prints some MIP diagnostics with C printf, whatever `disp` says; on our stdout they would
    corrupt `loadmaster plan --format json`. Point file descriptor 1 at /dev/null while it solves."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


def auto_pool_name(instance_type: str) -> str:
    return "auto-" + instance_type.removeprefix("ml.").replace(".", "-")


def choose_pools(units: list[Unit], catalog: Catalog) -> dict[str, list[Unit]] | None:
    """Instance type -> the units placed on it, minimising expected cost with every unit fitting at its most; None
    when the solver finds no assignment within its limits (every unit has a type, so one exists)."""
    types = sorted({name for unit in units for name in unit.demands})
    columns = [(unit_index, name) for unit_index, unit in enumerate(units) for name in sorted(unit.demands)]
    first_count = len(columns)
    expected_column = {name: first_count + 2 * index for index, name in enumerate(types)}
    peak_column = {name: first_count + 2 * index + 1 for index, name in enumerate(types)}
    size = first_count + 2 * len(types)

    rows, cols, values, lower, upper = [], [], [], [], []

    def add_row(entries: list[tuple[int, float]], low: float, high: float) -> None:
        row = len(lower)
        for column, value in entries:
            rows.append(row)
            cols.append(column)
            values.append(value)
        lower.append(low)
        upper.append(high)

    columns_of_unit: dict[int, list[int]] = {}
    columns_of_type: dict[str, list[int]] = {}
    for column, (owner, name) in enumerate(columns):
        columns_of_unit.setdefault(owner, []).append(column)
        columns_of_type.setdefault(name, []).append(column)
    for unit_columns in columns_of_unit.values():
        add_row([(column, 1.0) for column in unit_columns], 1.0, 1.0)  # each unit in exactly one pool
    for name in types:
        for count_of, instance_column in ((LEVELS["expected"], expected_column[name]), (LEVELS["most"], peak_column[name])):
            for dimension, available in enumerate(capacity(catalog[name])):
                # copies x demand of the units placed here <= instances x capacity, in every dimension
                entries = [(column, count_of(units[columns[column][0]]) * units[columns[column][0]].demands[name].vector()[dimension])
                           for column in columns_of_type[name]]
                add_row([entry for entry in entries if entry[1]] + [(instance_column, -available)], -np.inf, 0.0)

    cost = np.zeros(size)
    for name in types:
        price = catalog[name].price_usd_per_hour
        cost[expected_column[name]] = price
        cost[peak_column[name]] = price * PEAK_WEIGHT
    most_instances = sum(unit.most for unit in units)  # one copy per instance always fits
    high = np.array([1.0] * first_count + [float(most_instances)] * (2 * len(types)))
    with _native_stdout_silenced():
        result = milp(
            cost,
            integrality=np.ones(size),
            bounds=VariableBounds(np.zeros(size), high),
            constraints=LinearConstraint(coo_array((values, (rows, cols)), shape=(len(lower), size)).tocsr(), lower, upper),
            options={"node_limit": CHOOSE_NODE_LIMIT, "time_limit": SOLVER_TIME_LIMIT_S, "mip_rel_gap": 1e-4},
        )
    if result.x is None:
        return None
    chosen: dict[str, list[Unit]] = {}
    for column, (owner, name) in enumerate(columns):
        if result.x[column] > 0.5:
            chosen.setdefault(name, []).append(units[owner])
    return dict(sorted(chosen.items()))


def pack_pool(units: list[Unit], instance: InstanceType) -> Packing:
    """Whole instances for each traffic level of the pool's units, and the placement at mean and at peak."""
    packed: dict[tuple[int, ...], Placement] = {}  # levels with the same counts (often peak and most) pack once
    levels = {}
    for level, count_of in LEVELS.items():
        counts = tuple(count_of(unit) for unit in units)
        if counts not in packed:
            packed[counts] = pack([(unit.model, unit.demands[instance.name], count) for unit, count in zip(units, counts)], instance)
        levels[level] = packed[counts]
    return Packing(
        instances=Counts(len(levels["min"]), len(levels["expected"]), len(levels["peak"])),
        most_instances=len(levels["most"]),
        at_expected=levels["expected"],
        at_peak=levels["peak"],
    )


def pack(copies: list[tuple[str, Demand, int]], instance: InstanceType) -> Placement:
    """The fewest whole instances found that hold every copy, and which copies share each instance."""
    copies = [(model, demand, count) for model, demand, count in copies if count > 0]
    if not copies:
        return ()
    best = _first_fit_decreasing(copies, instance)
    # One instance fewer at a time, down to what the resource totals allow, until the solver finds no packing or
    # has tried PACK_MAX_ATTEMPTS times: a loose bound (hundreds of instances below first fit) costs a few solves,
    # not one per instance in between.
    floor = resource_lower_bound(copies, instance)
    for _ in range(PACK_MAX_ATTEMPTS):
        if len(best) <= floor:
            break
        solved = _solve_packing(copies, instance, len(best) - 1)
        if solved is None:
            break
        best = solved
    return best


def resource_lower_bound(copies: list[tuple[str, Demand, int]], instance: InstanceType) -> int:
    """No packing uses fewer instances than the busiest resource's total needs."""
    totals = np.sum([np.array(demand.vector()) * count for _, demand, count in copies], axis=0)
    return max(math.ceil(total / available - EPSILON) for total, available in zip(totals, capacity(instance)) if available)


def _first_fit_decreasing(copies: list[tuple[str, Demand, int]], instance: InstanceType) -> Placement:
    """Largest copies first, each on the first instance with room in every dimension.

    Copies of one model are identical, so the open instances in turn take as many of them as fit, and new
    instances as many as an empty one holds: the same result as placing them one by one, in a few vectorized
    steps (10,000 copies pack in milliseconds).
    """
    available = np.array(capacity(instance), dtype=float)
    order = sorted(copies, key=lambda item: (-float(np.sum(np.array(item[1].vector()) / np.maximum(available, EPSILON))), item[0]))
    free = np.empty((0, len(available)))
    held: list[dict[str, int]] = []
    for model, demand, count in order:
        need = np.array(demand.vector(), dtype=float)
        used = need > 0
        room = np.floor((free[:, used] + EPSILON) / need[used]).min(axis=1).astype(int)
        placed = np.minimum(room, np.maximum(count - (np.cumsum(room) - room), 0))  # first fit, instance by instance
        per_new = int(np.floor((available[used] + EPSILON) / need[used]).min())
        new = -(-int(count - placed.sum()) // per_new)  # ceiling division
        placed = np.concatenate([placed, np.minimum(per_new, count - placed.sum() - per_new * np.arange(new))]).astype(int)
        free = np.vstack([free, np.tile(available, (new, 1))])
        held += [{} for _ in range(new)]
        for index in np.flatnonzero(placed):
            free[index] -= need * placed[index]
            held[index][model] = held[index].get(model, 0) + int(placed[index])
    return tuple(tuple(sorted(contents.items())) for contents in held)


def _solve_packing(copies: list[tuple[str, Demand, int]], instance: InstanceType, instance_count: int) -> Placement | None:
    """A placement on exactly `instance_count` instances, or None when the solver finds none within its limits."""
    models = len(copies)
    size = models * instance_count
    if size > PACK_MAX_VARIABLES:
        return None
    column = lambda model, box: model * instance_count + box  # noqa: E731 - the layout of x[model, instance]
    rows, cols, values, lower, upper = [], [], [], [], []
    for model, (_, _, count) in enumerate(copies):
        for box in range(instance_count):
            rows.append(len(lower))
            cols.append(column(model, box))
            values.append(1.0)
        lower.append(count)
        upper.append(count)
    for box in range(instance_count):
        for dimension, available in enumerate(capacity(instance)):
            for model, (_, demand, _) in enumerate(copies):
                if demand.vector()[dimension]:
                    rows.append(len(lower))
                    cols.append(column(model, box))
                    values.append(demand.vector()[dimension])
            lower.append(-np.inf)
            upper.append(available)
    high = np.array([float(count) for _, _, count in copies for _ in range(instance_count)])
    result = milp(
        np.zeros(size),
        integrality=np.ones(size),
        bounds=VariableBounds(np.zeros(size), high),
        constraints=LinearConstraint(coo_array((values, (rows, cols)), shape=(len(lower), size)).tocsr(), lower, upper),
        options={"node_limit": PACK_NODE_LIMIT, "time_limit": SOLVER_TIME_LIMIT_S},
    )
    if result.x is None:
        return None
    counts = np.rint(result.x).astype(int).reshape(models, instance_count)
    boxes = [tuple((copies[model][0], int(counts[model, box])) for model in range(models) if counts[model, box]) for box in range(instance_count)]
    return tuple(tuple(sorted(box)) for box in boxes if box)
