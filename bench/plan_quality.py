"""How good and how fast the planner is, on generated portfolios of `hosting: auto` models.

For each portfolio: the plan's hourly cost at mean traffic over the LP lower bound (1.000 = provably optimal),
the baseline (one endpoint per model) over the plan at mean and at peak traffic, the planning time, measured
side by side in one run, and whether every model fits at its peak within its pool's instances.max. Targets (issue 4): plan within 5 % of the bound on 50 and 200 models, within 15 % on 10,
and 200 models planned in under 10 s.

    .venv/bin/python bench/plan_quality.py [--seeds N]      # or: make bench
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

from loadmaster.catalog import load_catalog
from loadmaster.planner.make import make_plan
from loadmaster.planner.synthetic import generated_portfolio
from loadmaster.planner.verify import peak_violations

SIZES = (10, 50, 200)
BOUND_TARGETS = {10: 1.15, 50: 1.05, 200: 1.05}
TIME_TARGET_S = {200: 10.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="portfolios per size (seeds 1..N; default 5)")
    arguments = parser.parse_args(argv)
    catalog = load_catalog()
    print(f"python {platform.python_version()} on {platform.machine()}, seeds 1..{arguments.seeds}")
    print(f"{'models':>6} {'seed':>4} {'plan USD/h':>11} {'bound USD/h':>11} {'plan/bound':>10} {'ratio mean':>10} {'ratio peak':>10} {'pools':>5} {'dedicated':>9} {'time s':>7} {'peak fits':>9}")
    all_met = True
    for size in SIZES:
        worst_ratio, slowest = 0.0, 0.0
        for seed in range(1, arguments.seeds + 1):
            portfolio = generated_portfolio(size, seed, catalog)
            started = time.perf_counter()
            plan = make_plan(portfolio, f"generated-{size}-{seed}", catalog)
            elapsed = time.perf_counter() - started
            cost = plan.cost
            violations = peak_violations(plan)
            all_met &= not violations
            ratio = cost.hourly_at_mean / cost.lower_bound_hourly
            worst_ratio, slowest = max(worst_ratio, ratio), max(slowest, elapsed)
            print(f"{size:>6} {seed:>4} {cost.hourly_at_mean:>11.2f} {cost.lower_bound_hourly:>11.2f} {ratio:>10.3f} "
                  f"{cost.savings_ratio_at_mean:>10.2f} {cost.savings_ratio_at_peak:>10.2f} {len(plan.pools):>5} {len(plan.dedicated):>9} {elapsed:>7.2f} {'yes' if not violations else 'NO':>9}")
            for violation in violations:
                print(f"       {violation}")
        met = worst_ratio <= BOUND_TARGETS[size] and slowest <= TIME_TARGET_S.get(size, float("inf"))
        all_met &= met
        time_target = f", time target {TIME_TARGET_S[size]:g} s" if size in TIME_TARGET_S else ""
        print(f"{size:>6} worst plan/bound {worst_ratio:.3f} (target {BOUND_TARGETS[size]:.2f}{time_target}), slowest {slowest:.2f} s: "
              f"{'met' if met else 'NOT MET'}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
