"""The scaling simulator: replays demand against the plan's scaling policies (`loadmaster.scaling`, the objects the
stacks render) with the service's documented behaviour, and reports waits, failures, scaling events and cost.

    result = simulate(plan, Demand({"chat": concurrency}), Parameters())

`loadmaster.simulator.model` holds the inputs and outputs (plain data), `loadmaster.simulator.engine` the loop.
No CDK import: it reads `loadmaster.plan`.
"""

from loadmaster.simulator.engine import simulate, simulated_models
from loadmaster.simulator.model import (
    STEP_S,
    Demand,
    Event,
    ModelOutcome,
    ModelParameters,
    ParameterError,
    Parameters,
    PoolParameters,
    Result,
    UnitOutcome,
    service_time_s_of,
)

__all__ = ["STEP_S", "Demand", "Event", "ModelOutcome", "ModelParameters", "ParameterError", "Parameters", "PoolParameters", "Result",
           "UnitOutcome", "service_time_s_of", "simulate", "simulated_models"]
