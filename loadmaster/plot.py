"""The plan as a picture: each pool's instances filled by copies, at mean and at peak traffic, and the cost.

One row per pool: each instance is three bars (its accelerators, usable memory and usable CPU) stacked with the
share every model's copies reserve on it, at mean traffic on the left and at peak on the right. The last row is the
cost per hour, the plan against one endpoint per model (the baseline) at the same traffic. Given two plans (a
review's before and after), they are drawn side by side, with the same colour for a model in both.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from loadmaster.errors import PortfolioError, Problem
from loadmaster.hostings.inference_component import PoolPlan
from loadmaster.plan import Plan
from loadmaster.planner.packing import Placement
from loadmaster.planner.render import plan_document

RESOURCES = ("acc", "mem", "cpu")  # accelerators, usable memory, usable CPU
ROW_HEIGHT_IN = 2.6
COLUMN_WIDTH_IN = 6.0
NAMED_DEDICATED = 6  # the footer names this many dedicated models, then counts the rest


def draw(plans: list[tuple[str, Plan]], path: Path) -> None:
    """Write the picture of `plans` (title, plan), side by side, as a PNG at `path`, replacing it only once drawn.
    Raises `PortfolioError` (exit 2) when `path` cannot be written."""
    import matplotlib

    matplotlib.use("Agg")  # no display: CI machines and terminals have none
    import matplotlib.pyplot as plt

    pool_names = list(dict.fromkeys(pool.name for _, plan in plans for pool in plan.pools))
    models = list(dict.fromkeys(component.model for _, plan in plans for pool in plan.pools for component in pool.components))
    colours = {model: _colour(plt, index) for index, model in enumerate(models)}
    columns = 2 * len(plans)
    figure = plt.figure(figsize=(COLUMN_WIDTH_IN * columns + 1.5, ROW_HEIGHT_IN * (len(pool_names) + 1) + 0.6))
    grid = figure.add_gridspec(len(pool_names) + 1, columns)
    cost_axes = []
    for column, (title, plan) in enumerate(plans):
        pools = {pool.name: pool for pool in plan.pools}
        for row, name in enumerate(pool_names):
            for offset, traffic in enumerate(("mean", "peak")):
                axis = figure.add_subplot(grid[row, 2 * column + offset])
                pool = pools.get(name)
                if pool is None:
                    _empty(axis, f"{name}: not in this plan")
                else:
                    _pool_panel(axis, pool, pool.placement if traffic == "mean" else pool.peak_placement, traffic, colours)
                if row == 0:
                    axis.set_title(f"{title}\n{axis.get_title()}", fontsize=10)
                if 2 * column + offset == columns - 1:
                    _legend(plt, axis, [c.model for _, plan in plans for p in plan.pools if p.name == name for c in p.components], colours)
        cost_axes.append(_cost_panel(figure.add_subplot(grid[-1, 2 * column:2 * column + 2]), title, plan))
    widest = max(axis.get_xlim()[1] for axis in cost_axes)
    for axis in cost_axes:  # one scale, so that before and after compare at a glance
        axis.set_xlim(0, widest)
    dedicated = sorted({model.model for _, plan in plans for model in plan.dedicated})
    footer = "Bars: the share of each instance's accelerators, usable memory and usable CPU that copies reserve."
    if dedicated:
        named = ", ".join(dedicated[:NAMED_DEDICATED]) + (f" and {len(dedicated) - NAMED_DEDICATED} more" if len(dedicated) > NAMED_DEDICATED else "")
        footer += f" Not drawn: {len(dedicated)} dedicated endpoint{'s' if len(dedicated) != 1 else ''} (one copy per instance): {named}."
    figure.text(0.01, 0.005, footer, fontsize=8, va="bottom")
    figure.tight_layout(rect=(0, 0.02, 1, 1))
    _save(figure, Path(path))
    plt.close(figure)


def _colour(plt: Any, index: int) -> Any:
    """Ten clearly different colours first (tab10), then the lighter and darker ones of tab20b and tab20c."""
    if index < 10:
        return plt.get_cmap("tab10")(index)
    return plt.get_cmap("tab20b" if (index - 10) // 20 % 2 == 0 else "tab20c")((index - 10) % 20)


def _legend(plt: Any, axis: Any, models: list[str], colours: dict[str, Any]) -> None:
    used = list(dict.fromkeys(models))
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[model]) for model in used]
    axis.legend(handles, used, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False,
                title="copies of", title_fontsize=8, ncol=1 + len(used) // 12)


def check_target(path: Path) -> None:
    """Raise `PortfolioError` (exit 2) when the picture cannot be written at `path`: checked before the work."""
    if not Path(path).parent.is_dir():
        raise PortfolioError(str(path), [Problem("", "cannot write the picture: its folder does not exist")])


def _save(figure: Any, path: Path) -> None:
    check_target(path)
    staging = path.with_name(f".{path.name}.partial")  # opened as any new file, so with the user's umask
    try:
        figure.savefig(staging, dpi=110, format="png")
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def _pool_panel(axis: Any, pool: PoolPlan, placement: Placement, traffic: str, colours: dict[str, Any]) -> None:
    instance = pool.instance_type
    capacity = (instance.accelerators, instance.usable_memory_mb, instance.usable_vcpu)
    per_copy = {c.model: (c.accelerators, c.memory_mb, c.cpu_cores or 0) for c in pool.components}
    count = f"{len(placement)} instance{'s' if len(placement) != 1 else ''}"
    axis.set_title(f"{pool.name}: {instance.name}, {count} at {traffic} traffic", fontsize=9)
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
    if len(placement) <= 5:  # name each bar only while the names stay legible
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


def _cost_panel(axis: Any, title: str, plan: Plan) -> Any:
    document = plan_document(plan)
    figures = {
        "plan": (document["hourly_at_mean"], document["hourly_at_peak"]),
        "one endpoint per model (baseline)": (document["baseline_hourly_at_mean"], document["baseline_hourly_at_peak"]),
    }
    for index, (label, values) in enumerate(figures.items()):
        bars = axis.barh([traffic * 3 + index for traffic in range(2)], [value or 0 for value in values], height=0.9,
                         label=label, color=("tab:green", "tab:gray")[index])
        for bar, value in zip(bars, values):
            # An unknown price is said, never drawn as a free bar.
            axis.annotate(" unknown" if value is None else f" {value:,.2f}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                          ha="left", va="center", fontsize=8)
    axis.set_yticks([0.5, 3.5])
    axis.set_yticklabels(["at mean traffic", "at peak traffic"], fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel("USD per hour", fontsize=8)
    axis.tick_params(axis="x", labelsize=8)
    axis.margins(x=0.12)
    ratios = " at mean, ".join("n/a" if ratio is None else f"{ratio:.2f}x" for ratio in (document["savings_ratio_at_mean"], document["savings_ratio_at_peak"]))
    unknown = f"; unknown prices: {', '.join(document['unknown_prices'])}" if document["unknown_prices"] else ""
    axis.set_title(f"cost, {title}: savings ratio (baseline / plan) {ratios} at peak{unknown}", fontsize=9)
    axis.legend(fontsize=8, frameon=False, loc="lower right")
    return axis


def _empty(axis: Any, text: str) -> None:
    axis.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, transform=axis.transAxes, wrap=True)
    axis.set_xticks([])
    axis.set_yticks([])
