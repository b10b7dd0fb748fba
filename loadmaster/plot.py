"""The plan as a picture: each pool's instances filled by copies, at mean and at peak traffic, and the cost.

One row per pool: each instance is three bars (its accelerators, usable memory and usable CPU) stacked with the
share every model's copies reserve on it, at mean traffic on the left and at peak on the right. The last row is the
cost per hour, the plan against one endpoint per model (the baseline) at the same traffic. Given two plans (a
review's before and after), they are drawn side by side, with the same colour for a model in both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadmaster.plan import Plan, PoolPlan
from loadmaster.planner.packing import Placement
from loadmaster.planner.render import plan_document

RESOURCES = ("accel", "memory", "CPU")
ROW_HEIGHT_IN = 2.6
COLUMN_WIDTH_IN = 6.0


def draw(plans: list[tuple[str, Plan]], path: Path) -> None:
    """Write the picture of `plans` (title, plan), side by side, as a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")  # no display: CI machines and terminals have none
    import matplotlib.pyplot as plt

    pool_names = list(dict.fromkeys(pool.name for _, plan in plans for pool in plan.pools))
    models = list(dict.fromkeys(component.model for _, plan in plans for pool in plan.pools for component in pool.components))
    palette = plt.get_cmap("tab20")
    colours = {model: palette(index % 20) for index, model in enumerate(models)}
    columns = 2 * len(plans)
    figure, axes = plt.subplots(len(pool_names) + 1, columns, squeeze=False,
                                figsize=(COLUMN_WIDTH_IN * columns + 2.5, ROW_HEIGHT_IN * (len(pool_names) + 1) + 0.8))
    for column, (title, plan) in enumerate(plans):
        pools = {pool.name: pool for pool in plan.pools}
        for row, name in enumerate(pool_names):
            for offset, (traffic, placement_of) in enumerate((("mean", lambda p: p.placement), ("peak", lambda p: p.peak_placement))):
                axis = axes[row][2 * column + offset]
                pool = pools.get(name)
                if pool is None:
                    _empty(axis, f"{name}: not in this plan")
                else:
                    _pool_panel(axis, pool, placement_of(pool), traffic, colours)
                if row == 0:
                    axis.set_title(f"{title}\n{axis.get_title()}", fontsize=10)
        _cost_panel(axes[-1][2 * column], axes[-1][2 * column + 1], title, plan)
    for row, name in enumerate(pool_names):
        used = [model for model in models if any(c.model == model for _, plan in plans for p in plan.pools if p.name == name for c in p.components)]
        handles = [plt.Rectangle((0, 0), 1, 1, color=colours[model]) for model in used]
        axes[row][-1].legend(handles, used, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False,
                             title="copies of", title_fontsize=8)
    dedicated = sorted({model.model for _, plan in plans for model in plan.dedicated})
    footer = "Bars: share of each instance's accelerators, usable memory and usable CPU reserved by copies."
    if dedicated:
        footer += f" Not drawn (dedicated endpoints, one copy per instance): {', '.join(dedicated)}."
    figure.text(0.01, 0.005, footer, fontsize=8, va="bottom")
    figure.tight_layout(rect=(0, 0.02, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _pool_panel(axis: Any, pool: PoolPlan, placement: Placement, traffic: str, colours: dict[str, Any]) -> None:
    instance = pool.instance_type
    capacity = (instance.accelerators, instance.usable_memory_mb, instance.usable_vcpu)
    per_copy = {c.model: (c.accelerators, c.memory_mb, c.cpu_cores or 0) for c in pool.components}
    axis.set_title(f"{pool.name}: {instance.name}, {len(placement)} instances at {traffic}", fontsize=9)
    if not placement:
        _empty(axis, "no instances: every model scaled to zero" if traffic == "mean" else "no instances")
        return
    for number, copies in enumerate(placement):
        for index in range(len(RESOURCES)):
            x, bottom = number * (len(RESOURCES) + 1) + index, 0.0
            for model, count in copies:
                share = 100 * count * per_copy[model][index] / capacity[index] if capacity[index] else 0
                axis.bar(x, share, bottom=bottom, width=0.9, color=colours[model], edgecolor="white", linewidth=0.5)
                bottom += share
    group = len(RESOURCES) + 1
    if len(placement) <= 6:  # name each bar only while the names stay legible
        axis.set_xticks([number * group + index for number in range(len(placement)) for index in range(len(RESOURCES))])
        axis.set_xticklabels([f"{resource}\ninstance {number + 1}" if index == 1 else resource
                              for number in range(len(placement)) for index, resource in enumerate(RESOURCES)], fontsize=7)
    else:
        axis.set_xticks([number * group + 1 for number in range(len(placement))])
        axis.set_xticklabels([str(number + 1) for number in range(len(placement))], fontsize=7)
        axis.set_xlabel(f"instance ({', '.join(RESOURCES)} bars each)", fontsize=7)
    axis.set_ylim(0, 100)
    axis.set_ylabel("% reserved", fontsize=8)
    axis.tick_params(axis="y", labelsize=7)


def _cost_panel(hourly: Any, notes: Any, title: str, plan: Plan) -> None:
    document = plan_document(plan)
    figures = {
        "plan": (document["hourly_at_mean"], document["hourly_at_peak"]),
        "one endpoint per model": (document["baseline_hourly_at_mean"], document["baseline_hourly_at_peak"]),
    }
    for index, (label, values) in enumerate(figures.items()):
        positions = [traffic * 3 + index for traffic in range(2)]
        heights = [value or 0 for value in values]
        bars = hourly.bar(positions, heights, width=0.9, label=label, color=("tab:green", "tab:gray")[index])
        for bar, value in zip(bars, values):
            # An unknown price is said, never drawn as a free bar.
            hourly.annotate("unknown" if value is None else f"{value:,.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=8)
    hourly.set_xticks([0.5, 3.5])
    hourly.set_xticklabels(["at mean traffic", "at peak traffic"], fontsize=8)
    hourly.set_ylabel("USD per hour", fontsize=8)
    hourly.set_title(f"cost: {title}", fontsize=9)
    hourly.legend(fontsize=8, frameon=False)
    hourly.margins(y=0.15)
    ratios = [document["savings_ratio_at_mean"], document["savings_ratio_at_peak"]]
    lines = [f"savings ratio (baseline / plan): {' at mean, '.join('n/a' if r is None else f'{r:.2f}x' for r in ratios)} at peak",
             f"lower bound of the packing at mean: {'unknown' if document['lower_bound_hourly_cost'] is None else format(document['lower_bound_hourly_cost'], ',.2f')} USD/h"]
    if document["unknown_prices"]:
        lines.append(f"unknown prices: {', '.join(document['unknown_prices'])}")
    _empty(notes, "\n".join(lines))


def _empty(axis: Any, text: str) -> None:
    axis.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, transform=axis.transAxes, wrap=True)
    axis.set_xticks([])
    axis.set_yticks([])
