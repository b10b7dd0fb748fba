"""`hosting: auto` choosing an endpoint that serves several models: the planner's grouping step.

SageMaker's hosting guidance puts many small, similar models behind one container (a multi-model endpoint) and a
few heterogeneous CPU models with little traffic each on one endpoint (multi-container, direct invocation). Which
models a pattern may group, and how, is the pattern's own (`HostingPattern.groups`); this step names none. It asks
each pattern, in registry order, for groups among the `auto` models that no key pins (in name order, so that the
file's order changes nothing), and forms a group only where its endpoint costs less than its members alone: less at
mean traffic and no more at the floor, each member alone on the hosting the fitness functions choose for it (a
copy's cost as weighed, times its copies at that traffic). A formed group is written into the portfolio as one model
of its pattern, in place of its members, and planned as if the user had written it; each member keeps its own plan
entry: the five fitness functions, both costs with their assumption, and how callers invoke it now.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from loadmaster.catalog import Catalog
from loadmaster.hostings.auto import NoHostingFits, choose_hosting, hosting_pins
from loadmaster.hostings.pattern import ALONE, Alone, Group
from loadmaster.hostings.registry import PATTERNS
from loadmaster.planner.devices import model_devices
from loadmaster.planner.sizing import demands_by_type, unit_counts
from loadmaster.spec.base import ModelSpec
from loadmaster.spec.schema import Portfolio


@dataclass(frozen=True)
class Grouping:
    """The portfolio with every formed group in place of its members, the groups by name, and why the models a
    pattern considered were not grouped (by model, added to their reasons)."""

    portfolio: Portfolio
    groups: dict[str, Group]
    notes: dict[str, tuple[str, ...]]

    @property
    def members(self) -> set[str]:
        return _members(self.groups.values())

    def explained(self, units: Iterable) -> tuple:
        """`units` with the reasons why a model was not grouped after its own."""
        return tuple(unit.with_reasons(lambda model, reasons: reasons + self.notes.get(model, ())) for unit in units)


def grouped(portfolio: Portfolio, catalog: Catalog) -> Grouping:
    """`portfolio` with the groups that cost less than their members alone (`catalog`: the one the plan is made with)."""
    alone, reasons = {}, {}
    for spec in sorted(portfolio.models, key=lambda spec: spec.name):
        if (weighed := _alone(spec, catalog)) is not None:
            alone[spec.name], reasons[spec.name] = weighed
    groups: dict[str, Group] = {}
    notes: dict[str, list[str]] = {}
    for pattern in PATTERNS.values():
        taken = _members(groups.values())
        open_models = [model for model in alone.values() if model.spec.name not in taken]
        if pattern.groups is None or len(open_models) < 2:
            continue
        proposals = pattern.groups(open_models, catalog)
        for name, why in proposals.left_out.items():
            notes.setdefault(name, []).append(f"grouping: not on a {pattern.name} endpoint with other models: {why}")
        for group in proposals.groups:
            members = [alone[member.name] for member in group.members]
            at_floor, at_mean = sum(model.hourly_at_floor for model in members), sum(model.hourly_at_mean for model in members)
            comparison = (f"{group.hourly_at_floor:.3f} USD/h at the floor and {group.hourly_at_mean:.3f} at mean ({group.basis}); "
                          f"alone, each on the hosting the fitness functions choose for it ({', '.join(f'{model.spec.name} {model.hosting}' for model in members)}), "
                          f"{at_floor:.3f} at the floor and {at_mean:.3f} at mean (what a copy costs as weighed, times its copies at that traffic)")
            if group.hourly_at_mean < at_mean and group.hourly_at_floor <= at_floor:
                groups[group.name] = _formed(group, pattern.name, comparison, reasons)
            else:
                for model in members:
                    notes.setdefault(model.spec.name, []).append(
                        f"grouping: not on {pattern.name} endpoint {group.name}, it would not cost less: {comparison}")
    by_member = {member.name: group for group in groups.values() for member in group.members}
    models, placed = [], set()
    for spec in portfolio.models:
        group = by_member.get(spec.name)
        if group is None:
            models.append(spec)
        elif group.name not in placed:  # the group where its first member was
            models.append(group.spec)
            placed.add(group.name)
    return Grouping(portfolio.model_copy(update={"models": models}), groups, {name: tuple(why) for name, why in notes.items() if name not in by_member})


def _members(groups: Iterable[Group]) -> set[str]:
    return {member.name for group in groups for member in group.members}


def _alone(spec: ModelSpec, catalog: Catalog) -> tuple[Alone, tuple[str, ...]] | None:
    """An `auto` model no key pins, what it costs on the hosting the fitness functions choose for it alone, and their
    reasons; None for any other model (or one the planner cannot plan alone: the plan says why)."""
    if spec.hosting != "auto" or hosting_pins(spec) or spec.size_gb is None:
        return None
    devices = model_devices(spec, None)
    demands = demands_by_type(spec, catalog, devices=devices)
    if not demands:
        return None
    try:
        choice = choose_hosting(spec, demands, catalog)
    except NoHostingFits:
        return None
    if choice.candidate is None or not choice.candidate.fits:
        return None
    pattern = PATTERNS[choice.hosting]
    counts = pattern.instance_counts(spec)[0] if pattern.instance_counts else unit_counts(spec, None, may_scale_to_zero=pattern.instances != ALONE)[0]
    hourly = choice.candidate.hourly
    return Alone(spec, devices.kinds, choice.hosting, hourly * counts.min, hourly * counts.expected), choice.reasons


def _formed(group: Group, pattern: str, comparison: str, alone_reasons: dict[str, tuple[str, ...]]) -> Group:
    """The group with every member's reasons: the cost of the group against theirs alone, each one's own cost alone
    and the other fitness functions as weighed for it, then the pattern's own reasons."""
    names = [member.name for member in group.members]
    cost = f"cost: grouped on {pattern} endpoint {group.name} with " + "{others}: " + comparison
    members = tuple(dataclasses.replace(member, reasons=(
        cost.format(others=", ".join(name for name in names if name != member.name)),
        "cost alone: " + alone_reasons[member.name][0].removeprefix("cost: "),
        *alone_reasons[member.name][1:-1],
        *member.reasons,
    )) for member in group.members)
    reasons = (f"auto: {len(names)} models grouped by the planner, {', '.join(names)} (each one's reasons in its own entry)", f"cost: {comparison}")
    return dataclasses.replace(group, members=members, reasons=reasons)
