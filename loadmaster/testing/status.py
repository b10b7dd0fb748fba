"""How long endpoints and inference components stay `Creating` / `Updating`: a number of describes.

SageMaker takes minutes to bring an endpoint or a component into service. Here each create or update puts the
resource in `Creating` / `Updating` for the next `describes` DescribeEndpoint / DescribeInferenceComponent calls, then
`InService`; waiters and sagemaker-core's `wait_for_status` poll until then. The default, 0, is `InService` at once
(as moto has endpoints), so that tests and rehearsals that do not wait stay fast:

    with loadmaster.testing.status_transitions(describes=2):
        ...  # the first two describes after a create show Creating
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

IN_SERVICE = "InService"

_describes_in_transition = 0


@contextmanager
def status_transitions(describes: int) -> Iterator[None]:
    """Resources created or updated inside stay in transition for `describes` describes."""
    global _describes_in_transition
    before, _describes_in_transition = _describes_in_transition, describes
    try:
        yield
    finally:
        _describes_in_transition = before


class Transition:
    """The status of one resource: `start` a transition, then each `describe` brings it a step closer to InService."""

    def __init__(self, status: str) -> None:
        self.start(status)

    def start(self, status: str) -> None:
        self._status, self._remaining = status, _describes_in_transition

    @property
    def current(self) -> str:
        return self._status if self._remaining > 0 else IN_SERVICE

    def settle(self) -> None:
        """End the transition now (a transform job that is stopped)."""
        self._remaining = 0

    def describe(self) -> str:
        status = self.current
        self._remaining = max(self._remaining - 1, 0)
        return status
