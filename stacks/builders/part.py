"""What a builder gives `stacks.partition`: the parts of a unit, each placed in one stack."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from constructs import Construct

if TYPE_CHECKING:
    from stacks.hosting_stack import HostingStack


@dataclass(frozen=True)
class Part:
    """A piece of a unit the partition places in one stack: built by `build(stack, head)`, where `head` is what the
    unit's head part built (None for the head itself)."""

    key: str  # `pool:<name>`, `component:<model>`, `dedicated:<model>`: the lock's and `stack_of_each_unit`'s names
    kind: str
    stack: str | None  # the stack the lock places it in; None: new, placed by filling
    build: Callable[[HostingStack, Any], Construct]


@dataclass(frozen=True)
class Builder:
    """`head` and `members` of a unit of `pattern`; `first_guess`: resources per part of each kind before any is measured."""

    pattern: str
    head: Callable[[Any], Part]
    members: Callable[[Any], list[Part]]
    first_guess: dict[str, int]


def one_part(pattern: str, kind: str, add: Callable[[HostingStack, Any], Construct], first_guess: dict[str, int]) -> Builder:
    """The builder of a pattern whose unit is one part, its head, built by `add(stack, unit)` (an endpoint of one
    model, say): no members."""
    return Builder(pattern, lambda unit: Part(unit.key, kind, unit.stack, lambda stack, _: add(stack, unit)), lambda unit: [], first_guess)
