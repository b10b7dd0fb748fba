"""A serial inference pipeline on its own endpoint: built as a multi-container endpoint is, in serial mode."""

from __future__ import annotations

from loadmaster.hostings.pipeline import HOSTING
from stacks.builders.multi_container import RESOURCES_FIRST_GUESS, head, members
from stacks.builders.part import Builder

BUILDER = Builder(HOSTING, head, members, {HOSTING: RESOURCES_FIRST_GUESS})
