"""A plan in a few lines a person reads in a pull request: a headline, then each unit's own lines."""

from __future__ import annotations

from loadmaster.hostings.registry import PATTERNS
from loadmaster.plan import Plan


def headline(plan: Plan) -> str:
    """What the plan deploys, counted by each pattern it uses, in registry order (a pattern without units is left out)."""
    counted = [f"{number} {noun}{'' if number == 1 else 's'}" for pattern in PATTERNS.values() if plan.units_of(pattern.name)
               for number, noun in pattern.unit.counted(plan.units_of(pattern.name))]
    return f"{plan.name}: {', '.join(counted) or 'nothing to deploy'}"


def render_summary(plan: Plan) -> str:
    lines = [headline(plan)]
    for unit in plan.units:
        lines += unit.summary_lines()
    lines += [f"  replaces: {change}" for change in plan.replaced]
    lines += [f"  stack {name} now holds nothing: a deploy deletes what it held; `cdk destroy {name}` removes it after" for name in plan.emptied_stacks]
    return "\n".join(lines)
