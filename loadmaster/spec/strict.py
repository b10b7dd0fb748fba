"""The base of every spec class: strict (no coercion), frozen, and no key it does not declare."""

from pydantic import BaseModel, ConfigDict


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
