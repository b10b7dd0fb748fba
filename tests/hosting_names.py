"""The hostings a model may name, and those that have a key, listed as loadmaster's messages list them, taken from
the hosting registry: a test that expects such a list is unchanged when a pattern is added."""

from __future__ import annotations

from loadmaster.hostings.registry import PATTERNS

AUTO = "auto"


def hostings_listed() -> str:
    """`'inference-component', 'dedicated', ... or 'auto'`: every registered pattern in registry order, then auto."""
    quoted = [repr(name) for name in [*PATTERNS, AUTO]]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def hostings_with(key: str) -> str:
    """`dedicated, async ... and pipeline`: the registered patterns whose models have `key`, in registry order."""
    owners = [name for name, pattern in PATTERNS.items() if key in pattern.spec.model_fields]
    return f"{', '.join(owners[:-1])} and {owners[-1]}" if owners[1:] else owners[0]
