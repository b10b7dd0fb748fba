"""Names that survive change: what was deployed under which name, kept in a lock file beside the portfolio.

Some changes need a new SageMaker resource while the old one still serves, because CloudFormation creates the new
resource before it deletes the old one (AWS CloudFormation User Guide, "Update behaviors of stack resources"):

- a pool's or a dedicated model's instance type changes: SageMaker refuses to change the instance type of an endpoint
  that hosts inference components (reported: aws-samples/sample-auto-extract-ai-ocr-app PR 66) or of a variant
  registered for autoscaling (SageMaker developer guide, "Update endpoints that use auto scaling"), so the endpoint
  is replaced by a new one;
- a model moves to another endpoint (another pool, or its pool's endpoint is replaced): its new inference component
  is created on the new endpoint before the old one is deleted.

The new resource needs a name the old one does not hold. Each endpoint and component therefore has a generation:
the first is named as always (`<portfolio>-<pool>`, `<portfolio>-<model>`), later ones get `-v2`, `-v3`, ... and new
construct ids, so that CloudFormation creates them beside the old ones and deletes the old ones in its cleanup.
A generation is only known from what was deployed before, which is what the lock file records:
`loadmaster lock PORTFOLIO` writes it (`make deploy` runs it after a deploy) and every other command reads it.
Without a lock, everything is a first generation.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loadmaster.errors import PortfolioError, Problem
from loadmaster.hostings.registry import PATTERNS
from loadmaster.naming import SAGEMAKER_NAME_MAX

if TYPE_CHECKING:  # the plan carries its identities
    from loadmaster.plan import Plan

LOCK_VERSION = 1


@dataclass(frozen=True)
class Identity:
    """A deployed endpoint (its instance type) or inference component (the endpoint it is on), and its generation."""

    name: str
    generation: int
    instance_type: str | None = None  # endpoints
    endpoint: str | None = None  # components: the endpoint's key and generation, `pool:a10g-pool#2`
    stack: str | None = None  # the stack that holds it: a later generation stays there too
    members: tuple[str, ...] | None = None  # a group's endpoint: the `auto` models it serves (loadmaster.planner.grouping)


@dataclass(frozen=True)
class Hosted:
    """How a model is hosted on its own under a lock: `key`, the key of its unit there (`component:<model>` for its
    inference component, else its endpoint's `<pattern>:<model>`), and its identity."""

    key: str
    identity: Identity

    @property
    def noun(self) -> str:
        """What it is, for people: `inference component`, or what the plan's summary counts its pattern's units as
        (`serverless endpoint`, `batch transform`: `loadmaster.summary`)."""
        kind = self.key.partition(":")[0]
        return "inference component" if kind == "component" else PATTERNS[kind].unit.counted(())[0][1]

    def __str__(self) -> str:
        return f"{self.noun} {self.identity.name}"


@dataclass(frozen=True)
class IdentityLock:
    portfolio: str
    endpoints: dict[str, Identity]  # by `pool:<name>`, or `<pattern>:<model>` of a model on an endpoint of its own
    components: dict[str, Identity]  # by model

    def hosting_of(self, model: str) -> Hosted | None:
        """How `model` is hosted: its inference component, the endpoint (or batch transform) its pattern's unit keys
        `<pattern>:<model>` (`HostingPattern.placement_in` finds it by the same key), or the endpoint of the group it
        is a member of (keyed by the group's name, `multi-model:models-1a2b3c4d`); None when it is not."""
        if model in self.components:
            return Hosted(f"component:{model}", self.components[model])
        own = next((key for key in (f"{pattern}:{model}" for pattern in PATTERNS) if key in self.endpoints), None)
        key = own or next((key for key, identity in self.endpoints.items() if model in (identity.members or ())), None)
        return Hosted(key, self.endpoints[key]) if key else None

    def hosted_models(self) -> list[str]:
        """Every model `hosting_of` finds: those with a component, those with an endpoint of a pattern's (a pool's
        endpoint, `pool:<pool>`, hosts components: it is no model's own), then the members of groups."""
        own = [name for kind, _, name in (key.partition(":") for key, identity in self.endpoints.items() if not identity.members) if kind in PATTERNS]
        return [*self.components, *own, *(member for identity in self.endpoints.values() for member in identity.members or ())]

    def changes_from(self, previous: IdentityLock | None) -> list[str]:
        """What a deploy of this lock's plan replaces, for people: new endpoints and components beside old ones."""
        if previous is None:
            return []
        changes = [f"{key.replace(':', ' ')}: new endpoint {identity.name} replaces {previous.endpoints[key].name} ({previous.endpoints[key].instance_type} -> {identity.instance_type})"
                   for key, identity in self.endpoints.items() if key in previous.endpoints and identity.generation != previous.endpoints[key].generation]
        changes += [f"model {model}: new inference component {identity.name} replaces {previous.components[model].name}"
                    for model, identity in self.components.items() if model in previous.components and identity.generation != previous.components[model].generation]
        # A model that changes hosting (its entry says so, or a re-plan moves it: loadmaster.sticky) is called by another name.
        changes += [f"model {model}: new {after} replaces {before}" for model in previous.hosted_models()
                    for before, after in [(previous.hosting_of(model), self.hosting_of(model))] if after is not None and after.key != before.key]
        return changes


def lock_path(portfolio: str | Path) -> Path:
    """`team.yaml` -> `team.lock.json` beside it."""
    portfolio = Path(portfolio)
    return portfolio.with_name(f"{portfolio.stem}.lock.json")


def read_lock(path: Path) -> IdentityLock | None:
    """The lock at `path`, None when there is none; a damaged one is bad input."""
    try:
        document = json.loads(path.read_text())
        if document.get("version") != LOCK_VERSION:
            raise ValueError(f"version {document.get('version')!r}, expected {LOCK_VERSION}")
        lock = IdentityLock(
            portfolio=document["portfolio"],
            endpoints={key: Identity(**{**value, **({"members": tuple(value["members"])} if "members" in value else {})}) for key, value in document["endpoints"].items()},
            components={key: Identity(**value) for key, value in document["components"].items()},
        )
        for identity in (*lock.endpoints.values(), *lock.components.values()):
            if identity.stack is not None and not re.fullmatch(rf"{re.escape(lock.portfolio)}-hosting(-[1-9][0-9]*)?", identity.stack):
                raise ValueError(f"{identity.stack!r} is not a stack of portfolio {lock.portfolio}")
        return lock
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise PortfolioError(str(path), [Problem("", f"not a loadmaster lock file ({error}); restore it from version control, or delete it if nothing was deployed")]) from None


def write_lock(path: Path, lock: IdentityLock) -> bool:
    """Write the lock atomically; False when the file already says the same."""
    text = json.dumps(_document(lock), indent=1, sort_keys=True) + "\n"
    if path.exists() and path.read_text() == text:
        return False
    descriptor, staging = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        os.chmod(staging, 0o666 & ~_umask())
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return True


def with_identities(plan: Plan, previous: IdentityLock | None) -> tuple[Plan, IdentityLock]:
    """The plan with each endpoint's and component's name and generation following `previous`, and the lock that
    records them. Raises `PortfolioError` if a later generation's name passes SageMaker's length limit."""
    previous = previous if previous and previous.portfolio == plan.name else None
    endpoints: dict[str, Identity] = {}
    components: dict[str, Identity] = {}

    names = _Names(previous, endpoints, components)
    units = tuple(unit.identified(names) for unit in plan.units)
    lock = IdentityLock(plan.name, endpoints, components)
    too_long = [identity.name for identity in (*endpoints.values(), *components.values()) if len(identity.name) > SAGEMAKER_NAME_MAX]
    if too_long:
        raise PortfolioError(plan.source, [Problem("name", f"{name!r} would pass SageMaker's {SAGEMAKER_NAME_MAX} characters: shorten the pool or model name") for name in too_long])
    used = {identity.stack for identity in (*endpoints.values(), *components.values())}
    emptied = tuple(sorted({identity.stack for identity in (*previous.endpoints.values(), *previous.components.values())} - used - {None})) if previous else ()
    return dataclasses.replace(plan, units=units, identities=lock, replaced=tuple(lock.changes_from(previous)), emptied_stacks=emptied), lock


class _Names:
    """The names and generations a plan's units deploy under, recorded as they are given (each unit's `identified`)."""

    def __init__(self, previous: IdentityLock | None, endpoints: dict[str, Identity], components: dict[str, Identity]) -> None:
        self.previous, self.endpoints, self.components = previous, endpoints, components

    def endpoint(self, key: str, base_name: str, instance_type: str, members: tuple[str, ...] | None = None) -> Identity:
        """A new generation where the instance type changed: SageMaker cannot change it in place. `members`: the
        models a group's endpoint serves."""
        before = self.previous.endpoints.get(key) if self.previous else None
        generation = 1 if before is None else before.generation if before.instance_type == instance_type else before.generation + 1
        self.endpoints[key] = Identity(_named(base_name, generation), generation, instance_type=instance_type, stack=before.stack if before else None, members=members)
        return self.endpoints[key]

    def component(self, model: str, base_name: str, endpoint: str) -> Identity:
        """A new generation where the component moves to another endpoint (`endpoint`: its key and generation)."""
        before = self.previous.components.get(model) if self.previous else None
        generation = 1 if before is None else before.generation if before.endpoint == endpoint else before.generation + 1
        # A component that moves to another pool goes with it (stacks.partition).
        stack = before.stack if before and before.endpoint.split("#")[0] == endpoint.split("#")[0] else None
        self.components[model] = Identity(_named(base_name, generation), generation, endpoint=endpoint, stack=stack)
        return self.components[model]


def with_stacks(lock: IdentityLock, stacks: dict[str, str]) -> IdentityLock:
    """The lock with the stack each unit was built in (`stacks.partition.stack_of_each_unit`)."""
    return IdentityLock(
        lock.portfolio,
        {key: dataclasses.replace(identity, stack=stacks[key]) for key, identity in lock.endpoints.items()},
        {model: dataclasses.replace(identity, stack=stacks[f"component:{model}"]) for model, identity in lock.components.items()},
    )


def _named(base_name: str, generation: int) -> str:
    return base_name if generation == 1 else f"{base_name}-v{generation}"


def _document(lock: IdentityLock) -> dict[str, Any]:
    def fields(identity: Identity) -> dict[str, Any]:
        return {key: value for key, value in dataclasses.asdict(identity).items() if value is not None}

    return {
        "version": LOCK_VERSION,
        "about": "Written by `loadmaster lock`: the names under which this portfolio is deployed. Commit it beside the portfolio.",
        "portfolio": lock.portfolio,
        "endpoints": {key: fields(identity) for key, identity in lock.endpoints.items()},
        "components": {key: fields(identity) for key, identity in lock.components.items()},
    }


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
