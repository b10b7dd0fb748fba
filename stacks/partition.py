"""Spread a plan over as many hosting stacks as CloudFormation's quotas need, along pool boundaries.

CloudFormation allows 500 resources per stack (FACTS.md). Pools and dedicated endpoints are self-contained, each
with its own endpoint and execution role, so they fill the stacks whole, in plan order, each stack up to
`RESOURCE_BUDGET`: a pool that does not fit in the stack being filled starts the next one. A pool too large for any
one stack continues in the next stacks with its remaining components only; those name the endpoint (a plain string,
no cross-stack reference) and depend on it and on its role's policy, which makes their stack depend on the pool's:
CloudFormation creates them after the endpoint and deletes them before it.

Stacks are named `<portfolio>-hosting`, `<portfolio>-hosting-2`, ..., so a small portfolio keeps the one stack name it
always had. A pool, component or dedicated endpoint that the lock file places in a stack (loadmaster.identity: the
stack it was deployed in) stays there whatever is added, removed or reordered around it: moving it would delete it in
one stack and create it in another, two deploys that collide on its name or leave a gap. Only what is new is placed by
filling: a new component in its pool's stack while there is room, anything else in the last stack, then a new one.
A component never goes to a stack before its pool's, so stacks depend on each other in one direction only.
"""

from __future__ import annotations

from collections import Counter

import aws_cdk as cdk
from constructs import Construct
from loadmaster.plan import Plan
from stacks.builders import BUILDERS
from stacks.builders.part import Part
from stacks.hosting_stack import HostingStack

# Headroom under CloudFormation's 500 for what is added at synthesis (CDK's metadata, Aspects, policy splits) and for
# the one unit that a stack takes when it is nearly full.
RESOURCE_BUDGET = 400


def hosting_stacks(app: cdk.App, plan: Plan, **stack_props) -> list[HostingStack]:
    """The plan's units, built in parts by their patterns' builders (`stacks.builders`: a pool, then its components;
    a dedicated endpoint), spread over stacks of at most `RESOURCE_BUDGET` resources each (as measured on the
    constructs), in `app`; what the plan places in a stack stays there."""
    parts = [(BUILDERS[unit.pattern].head(unit), BUILDERS[unit.pattern].members(unit)) for unit in plan.units]
    # What a part adds before any has been measured; each measurement raises the figure for its kind, so a construct
    # that grows is accounted for at the first part built with it.
    first_guess = {kind: resources for builder in BUILDERS.values() for kind, resources in builder.first_guess.items()}
    filler = _StackFiller(app, plan.name, stack_props, first_guess)
    for name in plan.emptied_stacks:
        filler.named(name)
    # What the lock places first, so that the stacks it names exist and are measured before anything new is added.
    heads = {}
    for head, members in parts:
        if head.stack:
            heads[head.key] = filler.add(filler.named(head.stack), head)
            for member in members:
                if member.stack:
                    filler.add(filler.named(member.stack), member, heads[head.key])
    for head, members in parts:
        if not head.stack:
            # Members differ (scaling or not, scale to zero or not): their mean size so far estimates them.
            estimate = filler.largest[head.kind] + round(sum(count * filler.mean(kind) for kind, count in Counter(m.kind for m in members).items()))
            heads[head.key] = filler.add(filler.with_room(estimate), head)
        home = filler.holding(head.key)
        for member in members:
            if not member.stack:  # placed above
                size = filler.largest[member.kind]
                stack = home if filler.has_room(home, size) else filler.with_room(size, after=home)
                filler.add(stack, member, heads[head.key])
    for stack in filler.in_order():
        if not stack.placed:
            # CloudFormation refuses a template without resources: a wait-condition handle costs nothing and does nothing.
            cdk.CfnWaitConditionHandle(stack, "NothingLeft")
    return filler.in_order()


def stack_of_each_unit(stacks: list[HostingStack]) -> dict[str, str]:
    """`pool:<name>`, `component:<model>`, `dedicated:<model>`, ... -> the name of the stack that holds it."""
    return {key: stack.stack_name for stack in stacks for key in stack.placed}


class _StackFiller:
    def __init__(self, app: cdk.App, portfolio: str, stack_props: dict, first_guess: dict[str, int]) -> None:
        self.app, self.portfolio, self.stack_props = app, portfolio, stack_props
        self.largest = dict(first_guess)
        self._built = {kind: [0, 0] for kind in first_guess}  # parts and their resources, by kind
        self._stacks: dict[int, HostingStack] = {}  # by number: 1 is `<portfolio>-hosting`
        self._resources: dict[int, int] = {}
        self._children_seen: dict[int, int] = {}  # by number: how many of the stack's children are measured
        self._homes: dict[str, int] = {}  # part -> number of its stack

    def named(self, name: str) -> HostingStack:
        """The stack of that name, opened if it is not yet (a name the lock recorded)."""
        number = 1 if name == self._name(1) else int(name.removeprefix(f"{self.portfolio}-hosting-")) if name.startswith(f"{self.portfolio}-hosting-") else None
        if number is None or number < 1 or self._name(number) != name:
            raise ValueError(f"{name!r} is not a stack name of portfolio {self.portfolio}")
        return self._stacks.get(number) or self._open(number)

    def holding(self, unit: str) -> HostingStack:
        return self._stacks[self._homes[unit]]

    def has_room(self, stack: HostingStack, resources: int) -> bool:
        """Whether `resources` more fit in `stack` (an empty stack takes anything)."""
        used = self._resources[self._number(stack)]
        return not used or used + resources <= RESOURCE_BUDGET

    def with_room(self, resources: int, after: HostingStack | None = None) -> HostingStack:
        """The last stack if `resources` more fit in it (and it comes after `after`), else a new one."""
        last = max(self._stacks, default=0)
        if last and self.has_room(self._stacks[last], resources) and (after is None or last > self._number(after)):
            return self._stacks[last]
        return self._open(last + 1)

    def mean(self, kind: str) -> float:
        units, resources = self._built[kind]
        return resources / units if units else self.largest[kind]

    def add(self, stack: HostingStack, part: Part, head: Construct | None = None) -> Construct:
        added = part.build(stack, head)
        resources = self._measure(stack, added)
        number = self._number(stack)
        self._resources[number] += resources
        self._homes[part.key] = number
        stack.placed.append(part.key)
        self.largest[part.kind] = max(self.largest[part.kind], resources)
        self._built[part.kind][0] += 1
        self._built[part.kind][1] += resources
        return added

    def in_order(self) -> list[HostingStack]:
        return [self._stacks[number] for number in sorted(self._stacks)]

    def _name(self, number: int) -> str:
        return f"{self.portfolio}-hosting" if number == 1 else f"{self.portfolio}-hosting-{number}"

    def _number(self, stack: HostingStack) -> int:
        return next(number for number, each in self._stacks.items() if each is stack)

    def _open(self, number: int) -> HostingStack:
        stack = HostingStack(self.app, self._name(number), **self.stack_props)
        self._stacks[number] = stack
        self._resources[number] = 0
        self._children_seen[number] = len(stack.node.children)
        return stack

    def _measure(self, stack: HostingStack, added: Construct) -> int:
        """Resources `added` brought into `stack`: its own, and those of any stack-level construct it made (a pool's
        scope, a storage key shared by the stack's endpoints)."""
        number = self._number(stack)
        children = stack.node.children  # in the order they were added: the new ones last
        new = children[self._children_seen[number]:]
        self._children_seen[number] = len(children)
        inside_new = any(added.node.path == child.node.path or added.node.path.startswith(child.node.path + "/") for child in new)
        return sum(map(_resources_in, new)) + (0 if inside_new else _resources_in(added))


def _resources_in(construct: Construct) -> int:
    return sum(1 for node in construct.node.find_all() if isinstance(node, cdk.CfnResource))
