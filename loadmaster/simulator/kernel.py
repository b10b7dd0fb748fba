"""The simulation's inner loop, compiled (numba): serving, metrics and alarms for every model and step, until
something needs Python (a timed event, or an alarm whose policy would change a capacity).

A step costs a few hundred nanoseconds per model compiled, against tens of microseconds per numpy call when
looping in Python: a week of 100 models at 10 s is 6 million model-steps. `numba.njit(cache=True)` keeps the
compiled code beside this file, so that only the first run on a machine pays the compilation (a few seconds).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from loadmaster.simulator.codes import (
    AVERAGE,
    BACKLOG,
    BACKLOG_PER_INSTANCE,
    BACKLOG_WITHOUT_CAPACITY,
    CONCURRENCY,
    GE,
    GT,
    INVOCATIONS,
    INVOCATIONS_PER_COPY,
    LT,
    MAXIMUM,
    METRIC_COUNT,
    NO_CAPACITY_FAILURES,
    STEP,
    SUM,
    TRACK_HIGH,
)


@njit(cache=True)
def advance(start, stop, dt, arrivals, service_s, rate_per_copy, waits_up_to, queues_at_zero,
            ready, queue, desired, bound_min, bound_max, last_scale_in, billed,
            served_log, failed_log, ready_log, billed_log,
            a_target, a_metric, a_statistic, a_period, a_threshold, a_comparison, a_needed, a_of, a_missing_breaches,
            a_missing_kept, a_target_value, a_role, a_cooldown, a_sign, repeat_s,
            a_sum, a_max, a_min, a_points, a_run, a_history, a_state, a_value, a_invoked,
            acting, acting_value, acting_asked):
    """Run steps start..stop-1. Returns (the next step to run, how many alarms act): when alarms act, at the end of
    the step before the returned one, `acting[:count]` are their rows, with their datapoints and target tracking's ask."""
    models = ready.shape[0]
    alarms = a_target.shape[0]
    metric = np.zeros((METRIC_COUNT, models))
    for step in range(start, stop):
        now_end = (step + 1) * dt
        for i in range(models):
            capacity = ready[i] * rate_per_copy[i]  # requests per second
            before = queue[i]
            offered = before + arrivals[step, i]
            served = min(offered, capacity * dt)
            left = offered - served
            if ready[i] == 0 and queues_at_zero[i]:
                failed = 0.0
            else:
                failed = max(left - capacity * waits_up_to[i], 0.0)
            queue[i] = left - failed
            served_log[step, i] = served
            failed_log[step, i] = failed
            ready_log[step, i] = ready[i]
            if ready[i] > 0:
                metric[CONCURRENCY, i] = (served / dt * service_s[i] + queue[i]) / ready[i]
                metric[INVOCATIONS_PER_COPY, i] = arrivals[step, i] / ready[i]
                metric[BACKLOG_PER_INSTANCE, i] = queue[i] / ready[i]
                metric[NO_CAPACITY_FAILURES, i] = 0.0
                metric[BACKLOG_WITHOUT_CAPACITY, i] = 0.0
                metric[INVOCATIONS, i] = arrivals[step, i]
            else:  # no copy: no per-copy datapoint
                metric[CONCURRENCY, i] = np.nan
                metric[INVOCATIONS_PER_COPY, i] = np.nan
                metric[BACKLOG_PER_INSTANCE, i] = np.nan
                metric[NO_CAPACITY_FAILURES, i] = 0.0 if queues_at_zero[i] else failed
                metric[BACKLOG_WITHOUT_CAPACITY, i] = 1.0 if queue[i] > 0 else 0.0
                metric[INVOCATIONS, i] = 0.0
            metric[BACKLOG, i] = queue[i]
        for u in range(billed.shape[0]):
            billed_log[step, u] = billed[u]
        count = 0
        for j in range(alarms):
            value = metric[a_metric[j], a_target[j]]
            if not math.isnan(value):
                a_sum[j] += value
                a_points[j] += 1
                a_max[j] = max(a_max[j], value)
                a_min[j] = min(a_min[j], value)
            if (step + 1) % a_period[j] != 0:
                continue
            missing = a_points[j] == 0
            statistic = a_statistic[j]
            if missing:
                datapoint = np.nan
            elif statistic == SUM:
                datapoint = a_sum[j]
            elif statistic == AVERAGE:
                datapoint = a_sum[j] / a_points[j]
            elif statistic == MAXIMUM:
                datapoint = a_max[j]
            else:
                datapoint = a_min[j]
            a_sum[j], a_points[j], a_max[j], a_min[j] = 0.0, 0, -np.inf, np.inf
            if missing and a_missing_kept[j]:
                continue  # the datapoint is left out: the alarm keeps its state
            if missing:
                breach = a_missing_breaches[j]
            else:
                threshold, comparison = a_threshold[j], a_comparison[j]
                breach = (datapoint > threshold if comparison == GT else datapoint >= threshold if comparison == GE
                          else datapoint < threshold if comparison == LT else datapoint <= threshold)
            a_value[j] = datapoint
            a_run[j] = a_run[j] + 1 if breach else 0
            of = a_of[j]
            a_history[j] = ((a_history[j] << np.uint64(1)) | np.uint64(1 if breach else 0)) & ((np.uint64(1) << np.uint64(min(of, 63))) - np.uint64(1))
            if a_needed[j] < of:
                bits, history = 0, a_history[j]
                while history:
                    history &= history - np.uint64(1)
                    bits += 1
                state = bits >= a_needed[j]
            else:
                state = a_run[j] >= a_needed[j]
            was = a_state[j]
            a_state[j] = state
            if not state or (was and now_end - a_invoked[j] < repeat_s):
                continue
            a_invoked[j] = now_end
            target, role = a_target[j], a_role[j]
            asked = np.nan
            acts = False
            if role == STEP:
                acts = (a_sign[j] >= 0 and desired[target] < bound_max[target]) or (a_sign[j] <= 0 and desired[target] > bound_min[target])
            elif not missing:
                asked = math.ceil(round(datapoint * ready[target] / a_target_value[j], 9))
                asked = min(max(asked, bound_min[target]), bound_max[target])
                if role == TRACK_HIGH:
                    acts = asked > desired[target]
                else:
                    acts = asked < desired[target] and now_end - last_scale_in[target] >= a_cooldown[j]
            if acts:
                acting[count] = j
                acting_value[count] = datapoint
                acting_asked[count] = asked
                count += 1
        if count:
            return step + 1, count
    return stop, 0
