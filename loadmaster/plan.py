"""The plan: every decision resolved, the one input the stacks are built from, as plain data.

A plan is a tuple of units, each of one hosting pattern (`loadmaster.hostings`): an inference-component pool with its
components, a dedicated endpoint, ... Each unit carries its names, instances, containers and scaling
(`loadmaster.scaling`) as frozen dataclasses. `loadmaster.planner.make` makes plans; this module imports nothing of
the planner, of SciPy or of the portfolio's pydantic classes, so that reading a plan costs nothing and depends on
nothing upstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from loadmaster.errors import Problem
from loadmaster.limits import DEFAULT_BATCH_PERCENT, DEFAULT_BATCH_WAIT_S, DEFAULT_ROLLBACK_ERRORS_PER_MINUTE, DEFAULT_ROLLBACK_LATENCY_MS

if TYPE_CHECKING:  # what the planner computes and the plan carries; imported for their names only
    from loadmaster.catalog import InstanceType
    from loadmaster.identity import IdentityLock
    from loadmaster.planner.bill import Bill
    from loadmaster.planner.cost import CostSummary
    from loadmaster.planner.sizing import Counts


@dataclass(frozen=True)
class Bounds:
    """How many copies (or instances) at least, at most, and at creation."""

    min: int
    max: int
    live: int | None = None  # what autoscaling reached in the account, when read before a deploy (loadmaster.capacity)

    @property
    def initial(self) -> int:
        """The count the template declares: the live one within the bounds, or the count to create with."""
        if self.live is not None:
            return min(max(self.live, self.min), self.max)
        # SageMaker rejects creating an inference component with CopyCount 0, and an endpoint needs an instance
        # to start (FACTS.md, "Scale to zero"): start at one and let autoscaling take it to zero.
        return max(self.min, 1)


@dataclass(frozen=True)
class DeploymentPlan:
    """How updates roll out (batches of copies or instances) and what rolls them back (alarms the constructs create)."""

    strategy: str = "rolling"
    batch_percent: int = DEFAULT_BATCH_PERCENT
    wait_s: int = DEFAULT_BATCH_WAIT_S
    rollback_errors_per_minute: int = DEFAULT_ROLLBACK_ERRORS_PER_MINUTE
    rollback_latency_ms: int = DEFAULT_ROLLBACK_LATENCY_MS


@dataclass(frozen=True)
class ContainerDefinition:
    """One container a model runs in: the constructs take it whole (a serial pipeline takes several)."""

    image: str
    artifact: str | None
    environment: dict[str, str]
    artifact_kms_key_arn: str | None = None  # the key the artifact is encrypted with in S3: the model's, else the portfolio's


class RoutingStrategy(Enum):
    """How an inference-component endpoint spreads requests over copies (CloudFormation RoutingConfig)."""

    LEAST_OUTSTANDING_REQUESTS = "LEAST_OUTSTANDING_REQUESTS"
    RANDOM = "RANDOM"

    @classmethod
    def named(cls, portfolio_name: str) -> RoutingStrategy:
        """`least-outstanding-requests` -> LEAST_OUTSTANDING_REQUESTS."""
        return cls(portfolio_name.upper().replace("-", "_"))

    @property
    def portfolio_name(self) -> str:
        return self.value.lower().replace("_", "-")


@dataclass(frozen=True)
class NetworkPlan:
    """Where an endpoint's instances run: a VPC's subnets and security groups, optionally cut off from the internet."""

    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    isolation: bool = False  # EnableNetworkIsolation: the container makes no outbound calls at all


@dataclass(frozen=True)
class Charge:
    """Instances a unit runs, counted at the floor, at mean and at peak traffic: what its cost is computed from."""

    instance_type: InstanceType
    counts: Counts


class PlanUnit(Protocol):
    """What every unit of a plan has, whatever its pattern (`loadmaster.hostings.registry` lists the patterns)."""

    pattern: str  # the portfolio's `hosting:` value of its pattern (a class variable)
    endpoint_name: str
    generation: int
    stack: str | None

    @property
    def key(self) -> str:
        """Its name in the lock file and in `stacks.partition`: `pool:<name>`, `dedicated:<model>`, ..."""
        ...

    @property
    def label(self) -> str:
        """What an error calls it: `pool a10g-pool`, `dedicated model chat`."""
        ...

    @property
    def models(self) -> tuple[str, ...]: ...

    @staticmethod
    def counted(units: tuple) -> list[tuple[int, str]]:
        """The headline's counts of the units of its pattern: `[(2, "pool"), (5, "inference component")]`."""
        ...

    def metric_targets(self) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
        """(model, CloudWatch dimensions, concurrency metric) of each model, for `loadmaster observe`."""
        ...

    def sagemaker_names(self) -> dict[str, str]:
        """What the portfolio calls each SageMaker name it deploys: `{"codegen-platform-a10g-pool": "pool a10g-pool"}`."""
        ...

    def charges(self) -> tuple[Charge, ...]: ...

    def summary_lines(self) -> list[str]:
        """Its lines in `loadmaster summary` (and review), indented under the plan's headline."""
        ...

    def model_documents(self) -> list[dict]:
        """Its models as `loadmaster plan` shows them (the JSON's `models`)."""
        ...

    def with_reasons(self, reasons: Any) -> PlanUnit:
        """The unit with each model's reasons as `reasons(model, its reasons)` has them (`loadmaster.sticky`)."""
        ...

    def identified(self, names: Any) -> PlanUnit:
        """The unit under the names and generations the lock gives it (`loadmaster.identity`)."""
        ...


@dataclass(frozen=True)
class Plan:
    name: str
    source: str
    region: str | None
    account: str | None
    tags: dict[str, str]
    units: tuple[PlanUnit, ...]  # in plan order: pools, then dedicated endpoints, then the other patterns
    notes: tuple[str, ...] = field(default=())
    cost: CostSummary | None = None
    bill: Bill | None = None  # the cost's parts, each with its price's source (loadmaster.planner.bill)
    kms_key_arn: str | None = None  # None: the stack creates a key where the instance type supports one
    identities: IdentityLock | None = None  # the names it deploys under, as `loadmaster lock` records them
    replaced: tuple[str, ...] = ()  # endpoints and components a deploy creates anew beside the locked ones
    # Stacks the lock names that hold nothing now: synthesized empty, so that a deploy deletes what they held.
    emptied_stacks: tuple[str, ...] = ()
    # Costly or risky but possible: printed on stderr by `validate`, `plan`, `synth` and app.py (errors.render_warnings).
    warnings: tuple[Problem, ...] = ()

    def units_of(self, pattern: str) -> tuple:
        """The units of one hosting pattern, in plan order."""
        return tuple(unit for unit in self.units if unit.pattern == pattern)

    def with_units_of(self, pattern: str, units: tuple) -> Plan:
        """The plan with `pattern`'s units replaced by `units`, where the first of them was; the others unchanged."""
        kept = [unit for unit in self.units if unit.pattern != pattern]
        at = next((index for index, unit in enumerate(self.units) if unit.pattern == pattern), len(self.units))
        before = sum(1 for unit in self.units[:at] if unit.pattern != pattern)
        return replace(self, units=tuple(kept[:before]) + tuple(units) + tuple(kept[before:]))

    # Views by pattern for code that reads one kind of unit (tests, the planner's checks).
    @property
    def pools(self) -> tuple:
        return self.units_of("inference-component")

    @property
    def dedicated(self) -> tuple:
        return self.units_of("dedicated")
