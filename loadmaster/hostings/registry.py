"""The registry of hosting patterns: what each one plugs into the planner, the plan and the checks.

A pattern is one module of `loadmaster.hostings` that defines its plan unit and a `HostingPattern` naming its parts;
`PATTERNS` lists them in plan order. The stacks keep their own registry of builders (`stacks.builders`), because the
stacks import loadmaster and never the reverse. `tests/test_hosting_registry.py` checks that every registered pattern
has all its parts.
"""

from __future__ import annotations

from loadmaster.hostings import asynchronous, batch, dedicated, inference_component, multi_container, multi_model, pipeline, serverless
from loadmaster.hostings.pattern import HostingPattern

PATTERNS: dict[str, HostingPattern] = {
    pattern.name: pattern for pattern in (inference_component.PATTERN, dedicated.PATTERN, serverless.PATTERN, asynchronous.PATTERN, multi_model.PATTERN, batch.PATTERN,
                                   multi_container.PATTERN, pipeline.PATTERN)
}
