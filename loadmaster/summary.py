"""A plan in a few lines a person reads in a pull request: a headline, then each unit's own lines."""

from __future__ import annotations

from loadmaster.plan import Plan


def headline(plan: Plan) -> str:
    components = sum(len(pool.components) for pool in plan.pools)
    return f"{plan.name}: {_count(len(plan.pools), 'pool')}, {_count(components, 'inference component')}, {_count(len(plan.dedicated), 'dedicated endpoint')}"


def render_summary(plan: Plan) -> str:
    lines = [headline(plan)]
    for unit in plan.units:
        lines += unit.summary_lines()
    lines += [f"  replaces: {change}" for change in plan.replaced]
    lines += [f"  stack {name} now holds nothing: a deploy deletes what it held; `cdk destroy {name}` removes it after" for name in plan.emptied_stacks]
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
