"""Where SageMaker puts the copies of inference components: on the instances of an endpoint's variant.

Each copy reserves accelerators, CPU cores and memory (`ComputeResourceRequirements`) on one instance; an instance
offers what the instance catalog says its type has. A variant with managed instance scaling enabled adds instances,
up to its `MaxInstanceCount` and never beyond, when copies need room, and releases empty ones down to its
`MinInstanceCount` (FACTS.md, "Inference components and endpoint configs").

Copies are placed against the whole instance, not against what loadmaster's planner leaves them: SageMaker documents
no share of an instance that a copy may not reserve, and the planner's reserve (`loadmaster.catalog.usable`) is our
default, not SageMaker's behaviour. A plan therefore fits here with room to spare; what the rehearsal refuses,
SageMaker is documented to refuse ("not enough hardware resources").

Not modelled: availability zones, `MaxMemoryRequiredInMb`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loadmaster.catalog import InstanceType

# SageMaker's message when a copy finds no room (FACTS.md: the per-copy request does not fit the instances).
NOT_ENOUGH_HARDWARE = (
    "There is not enough hardware resources on the instances for this endpoint to create a copy of the inference component."
)


class NotEnoughHardware(Exception):
    def __init__(self) -> None:
        super().__init__(NOT_ENOUGH_HARDWARE)


@dataclass(frozen=True)
class CopyRequirements:
    """What one copy reserves (`ComputeResourceRequirements`)."""

    accelerators: float
    cpu_cores: float
    memory_mb: int

    @classmethod
    def from_specification(cls, requirements: dict) -> "CopyRequirements":
        return cls(
            accelerators=float(requirements.get("NumberOfAcceleratorDevicesRequired", 0)),
            cpu_cores=float(requirements.get("NumberOfCpuCoresRequired", 0)),
            memory_mb=int(requirements["MinMemoryRequiredInMb"]),
        )


@dataclass
class Instance:
    """One instance of a variant and the copies placed on it, as (component name, requirements)."""

    instance_id: str
    instance_type: InstanceType
    copies: list[tuple[str, CopyRequirements]] = field(default_factory=list)

    def fits(self, copy: CopyRequirements) -> bool:
        used = [requirements for _, requirements in self.copies] + [copy]
        return (
            sum(r.accelerators for r in used) <= self.instance_type.accelerators
            and sum(r.cpu_cores for r in used) <= self.instance_type.vcpu
            and sum(r.memory_mb for r in used) <= self.instance_type.memory_mb
        )

    def count(self, component: str) -> int:
        return sum(1 for name, _ in self.copies if name == component)

    @property
    def free_accelerators(self) -> float:
        return self.instance_type.accelerators - sum(r.accelerators for _, r in self.copies)


@dataclass
class Fleet:
    """The instances of one production variant. `min_instances == max_instances` when managed scaling is off."""

    instance_type: InstanceType
    min_instances: int
    max_instances: int
    instances: list[Instance] = field(default_factory=list)
    _launched: int = 0

    @classmethod
    def launch(cls, instance_type: InstanceType, initial: int, min_instances: int, max_instances: int) -> "Fleet":
        fleet = cls(instance_type, min_instances, max_instances)
        for _ in range(initial):
            fleet._add_instance()
        return fleet

    def _add_instance(self) -> Instance:
        self._launched += 1
        instance = Instance(f"i-{self._launched:04d}", self.instance_type)
        self.instances.append(instance)
        return instance

    def copies_of(self, component: str) -> int:
        return sum(instance.count(component) for instance in self.instances)

    def place(self, component: str, copy: CopyRequirements, count: int, strategy: str = "SPREAD") -> None:
        """Give `component` exactly `count` copies, or change nothing and raise `NotEnoughHardware`."""
        before = [list(instance.copies) for instance in self.instances]
        self.remove(component, release_instances=False)
        try:
            for _ in range(count):
                self._place_one(component, copy, strategy)
        except NotEnoughHardware:
            del self.instances[len(before):]
            for instance, copies in zip(self.instances, before):
                instance.copies = copies
            raise
        self._release_empty_instances()

    def remove(self, component: str, release_instances: bool = True) -> None:
        for instance in self.instances:
            instance.copies = [(name, r) for name, r in instance.copies if name != component]
        if release_instances:
            self._release_empty_instances()

    def _place_one(self, component: str, copy: CopyRequirements, strategy: str) -> None:
        candidates = [instance for instance in self.instances if instance.fits(copy)]
        if not candidates:
            if len(self.instances) >= self.max_instances or not Instance("new", self.instance_type).fits(copy):
                raise NotEnoughHardware()
            candidates = [self._add_instance()]
        if strategy == "BINPACK":
            chosen = min(candidates, key=lambda instance: instance.free_accelerators)
        else:  # SPREAD: fewest copies of this component first, then the emptiest instance
            chosen = min(candidates, key=lambda instance: (instance.count(component), -instance.free_accelerators))
        chosen.copies.append((component, copy))

    def _release_empty_instances(self) -> None:
        for instance in [instance for instance in self.instances if not instance.copies]:
            if len(self.instances) <= self.min_instances:
                break
            self.instances.remove(instance)
