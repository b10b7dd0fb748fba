"""The simulation loop (being written: this commit fixes the interface sim-io builds on)."""

from __future__ import annotations

from collections.abc import Callable

from loadmaster.plan import Plan
from loadmaster.simulator.model import Demand, Parameters, Result


def simulate(plan: Plan, demand: Demand, parameters: Parameters = Parameters(), progress: Callable[[float], None] | None = None) -> Result:
    """Replay `demand` against `plan`'s units and scaling policies; `progress` is called with the fraction done."""
    raise NotImplementedError("the simulation loop lands in the next commit of branch sim-engine")
