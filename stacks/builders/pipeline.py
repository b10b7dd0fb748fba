"""A serial inference pipeline on its own endpoint: built as a multi-container endpoint is, in serial mode."""

from __future__ import annotations

from loadmaster.hostings.pipeline import HOSTING
from stacks.builders.multi_container import containers_builder

BUILDER = containers_builder(HOSTING)
