"""A simulation as pictures: one PNG per plan unit (a pool, an endpoint), its demand, copies and instances over time.

Top panel: each model's demand (concurrent requests, queued ones included). Bottom panel: each model's serving
copies (the same colour as its demand) and the unit's instances (black), with the scaling events marked where they
happen: a triangle up for a scale-out, down for a scale-in, on the count they moved to. The time axis is hours from
the run's start. Written into a folder without touching anything else there: every picture is drawn first, then
each takes its place (replacing only the file of its own name); on an error none is left, half-written or not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from loadmaster.errors import PortfolioError, Problem
from loadmaster.simulator.model import Result, UnitOutcome

FIGURE_SIZE_IN = (11.0, 6.5)
DPI = 100
# What each event kind looks like: (marker, colour, label); kinds not named here (copy-ready, ...) are not marked.
MARKERS = {
    "scale-out": ("^", "tab:green", "scale-out"),
    "scale-in": ("v", "tab:red", "scale-in"),
    "scheduled": ("D", "tab:purple", "scheduled action"),
    "instance-launch": ("^", "black", "instance launched"),
    "instance-release": ("v", "dimgray", "instance released"),
}


def file_name(unit_key: str) -> str:
    """`pool:a10g-pool` -> `pool-a10g-pool.png`: a name every file system takes."""
    return "".join(character if character.isalnum() or character in "-_." else "-" for character in unit_key) + ".png"


def check_folder(folder: Path) -> None:
    """Raise PortfolioError (exit 2) before the work when the pictures cannot go into `folder`: it must be a folder
    or a new name in an existing one."""
    if folder.exists() and not folder.is_dir():
        raise PortfolioError(str(folder), [Problem("", "cannot write the pictures: it is a file, not a folder")])
    if not folder.exists() and not folder.parent.is_dir():
        raise PortfolioError(str(folder), [Problem("", "cannot write the pictures: its parent folder does not exist")])


def write_plots(result: Result, folder: Path) -> list[Path]:
    """One PNG per unit of `result` in `folder` (created if new), the paths written in unit order."""
    import matplotlib

    matplotlib.use("Agg")  # no display: CI machines and terminals have none
    import matplotlib.pyplot as plt

    check_folder(folder)
    created = not folder.exists()
    folder.mkdir(exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for key, unit in result.units.items():
            target = folder / file_name(key)
            staging = folder / f".{target.name}.partial"  # opened as any new file, so with the user's umask
            staged.append((staging, target))
            figure = _figure(plt, result, unit)
            try:
                figure.savefig(staging, dpi=DPI, format="png")
            finally:
                plt.close(figure)
        for staging, target in staged:
            os.replace(staging, target)
            placed.append(target)
    except BaseException as error:
        for staging, _ in staged:
            staging.unlink(missing_ok=True)
        if created:  # everything in it is this run's: leave no folder behind
            for target in placed:
                target.unlink(missing_ok=True)
            folder.rmdir()
        if isinstance(error, OSError):
            raise PortfolioError(str(folder), [Problem("", f"cannot write the pictures: {error.strerror or error}")]) from None
        raise
    return [target for _, target in staged]


def _figure(plt: Any, result: Result, unit: UnitOutcome) -> Any:
    from matplotlib.ticker import MaxNLocator

    hours = result.time_s / 3600
    figure, (demand_axis, count_axis) = plt.subplots(2, 1, sharex=True, figsize=FIGURE_SIZE_IN, height_ratios=(1, 1.2))
    colours = {model: plt.get_cmap("tab10")(index % 10) for index, model in enumerate(unit.demand)}
    for model, values in unit.demand.items():
        demand_axis.plot(hours, values, color=colours[model], linewidth=0.8, label=model)
    demand_axis.set_ylabel("demand\n(concurrent requests)", fontsize=9)
    demand_axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, title="demand of", title_fontsize=8)
    for model, values in unit.copies.items():
        count_axis.step(hours, values, where="post", color=colours.get(model, "tab:blue"), linewidth=1.2, label=f"copies of {model}")
    count_axis.step(hours, unit.instances, where="post", color="black", linewidth=1.8, label=f"instances ({unit.instance_type or 'none'})")
    marked: set[str] = set()
    for event in result.events:
        if event.unit != unit.key or event.kind not in MARKERS:
            continue
        marker, colour, label = MARKERS[event.kind]
        count_axis.scatter([event.time_s / 3600], [event.to_count], marker=marker, color=colour, s=28, zorder=3,
                           label=None if event.kind in marked else label)
        marked.add(event.kind)
    count_axis.set_ylabel("copies and instances", fontsize=9)
    count_axis.set_xlabel("hours from the start of the run", fontsize=9)
    count_axis.set_ylim(bottom=0)
    count_axis.yaxis.set_major_locator(MaxNLocator(integer=True))  # copies and instances are whole
    count_axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    for axis in (demand_axis, count_axis):
        axis.grid(alpha=0.3)
        axis.tick_params(labelsize=8)
    cost = "unknown" if unit.cost_usd is None else f"{unit.cost_usd:,.2f} USD"
    usage = "billed by use" if unit.instance_hours is None else f"{unit.instance_hours:,.1f} instance-hours"
    figure.suptitle(f"{unit.label}: {usage}, {cost} over {result.duration_s / 3600:g} h", fontsize=11)
    figure.tight_layout()
    return figure
