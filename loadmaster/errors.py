"""Problems found in a user's input, reported all at once and never as a traceback; and warnings, which are problems
that do not stop anything (a costly or risky configuration), printed the same way after "warning: "."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

#: Exit code of every command on bad input (the usage-error convention of argparse and the shells).
EXIT_BAD_INPUT = 2
#: Exit code of `synth` (and `cdk synth`) when the stacks break a compliance rule nobody acknowledged.
EXIT_NOT_COMPLIANT = 1
#: Exit code after Ctrl-C: 128 + SIGINT, as the shells report a process that SIGINT ended.
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (`models[2] (blockgen).per_copy.accelerators`) and what."""

    location: str
    message: str

    def render(self, source: str) -> str:
        where = f"{source}: {self.location}" if self.location else source
        return _one_line(f"{where}: {self.message}")


def _one_line(text: str) -> str:
    """`text` with its line breaks and other unprintable characters escaped: a key written as "a\\nb" in a
    portfolio must not split its problem over two lines."""
    return "".join(character if character.isprintable() else character.encode("unicode_escape").decode("ascii") for character in text)


def render_warnings(source: str, warnings: Iterable[Problem]) -> str:
    """`warning: portfolio.yaml: pools[1] (spare): ...`, one line each."""
    return "\n".join(f"warning: {warning.render(source)}" for warning in warnings)


class PortfolioError(Exception):
    """Raised once with every problem in a portfolio (or in what was derived from it)."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(problem.render(self.source) for problem in self.problems)
