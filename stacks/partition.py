"""Spread a plan over as many hosting stacks as CloudFormation's quotas need, along pool boundaries.

CloudFormation allows 500 resources per stack (FACTS.md). Pools and dedicated endpoints are self-contained, each
with its own endpoint and execution role, so they fill the stacks whole, in plan order, each stack up to
`RESOURCE_BUDGET`: a pool that does not fit in the stack being filled starts the next one. A pool too large for any
one stack continues in the next stacks with its remaining components only; those name the endpoint (a plain string,
no cross-stack reference) and depend on it and on its role's policy, which makes their stack depend on the pool's:
CloudFormation creates them after the endpoint and deletes them before it.

Stacks are named `<portfolio>-hosting`, `<portfolio>-hosting-2`, ... in order, so a small portfolio keeps the one
stack name it always had, and adding a model at the end moves nothing that is already deployed.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct
from loadmaster.plan import Plan
from stacks.hosting_stack import HostingStack

# Headroom under CloudFormation's 500 for what is added at synthesis (CDK's metadata, Aspects, policy splits) and for
# the one unit that a stack takes when it is nearly full.
RESOURCE_BUDGET = 400

# What a unit adds before any has been measured; each measurement raises the figure for its kind, so a construct
# that grows is accounted for at the first unit built with it.
FIRST_GUESS = {"pool": 8, "component": 10, "dedicated": 12}


def hosting_stacks(app: cdk.App, plan: Plan, **stack_props) -> list[HostingStack]:
    """The plan's pools, components and dedicated endpoints, spread over stacks of at most `RESOURCE_BUDGET`
    resources each (as measured on the constructs), in `app`."""
    filler = _StackFiller(app, plan.name, stack_props)
    for pool in plan.pools:
        # A pool's components differ (scaling or not, scale to zero or not): their mean size so far estimates it.
        filler.make_room(filler.largest["pool"] + round(len(pool.components) * filler.mean("component")))
        endpoint = filler.add("pool", lambda stack: stack.add_pool(pool))
        for component in pool.components:
            filler.make_room(filler.largest["component"])
            filler.add("component", lambda stack: stack.add_component(pool, endpoint, component))
    for model in plan.dedicated:
        filler.make_room(filler.largest["dedicated"])
        filler.add("dedicated", lambda stack: stack.add_dedicated(model))
    return filler.stacks


class _StackFiller:
    def __init__(self, app: cdk.App, portfolio: str, stack_props: dict) -> None:
        self.app, self.portfolio, self.stack_props = app, portfolio, stack_props
        self.largest = dict(FIRST_GUESS)
        self._built = {kind: [0, 0] for kind in FIRST_GUESS}  # units and their resources, by kind
        self.stacks: list[HostingStack] = []
        self._open()

    def make_room(self, resources: int) -> None:
        """Start the next stack unless `resources` more fit in the current one (an empty stack takes anything)."""
        if self._resources and self._resources + resources > RESOURCE_BUDGET:
            self._open()

    def mean(self, kind: str) -> float:
        units, resources = self._built[kind]
        return resources / units if units else self.largest[kind]

    def add(self, kind: str, build) -> Construct:
        stack = self.stacks[-1]
        added = build(stack)
        resources = self._measure(stack, added)
        self._resources += resources
        self.largest[kind] = max(self.largest[kind], resources)
        self._built[kind][0] += 1
        self._built[kind][1] += resources
        return added

    def _open(self) -> None:
        number = len(self.stacks) + 1
        name = f"{self.portfolio}-hosting" if number == 1 else f"{self.portfolio}-hosting-{number}"
        stack = HostingStack(self.app, name, **self.stack_props)
        self.stacks.append(stack)
        self._resources = 0
        self._seen = {child.node.id for child in stack.node.children}

    def _measure(self, stack: HostingStack, added: Construct) -> int:
        """Resources `added` brought into `stack`: its own, and those of any stack-level construct it made (a pool's
        scope, a storage key shared by the stack's endpoints)."""
        new = [child for child in stack.node.children if child.node.id not in self._seen]
        self._seen.update(child.node.id for child in new)
        inside_new = any(added.node.path == child.node.path or added.node.path.startswith(child.node.path + "/") for child in new)
        return sum(map(_resources_in, new)) + (0 if inside_new else _resources_in(added))


def _resources_in(construct: Construct) -> int:
    return sum(1 for node in construct.node.find_all() if isinstance(node, cdk.CfnResource))
