"""Importing the simulator costs no numba import: every `loadmaster` command imports the simulate command's module."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_simulator_does_not_import_numba():
    # Given a fresh interpreter
    # When it imports the simulator's API
    code = "import sys, loadmaster.simulator; from loadmaster.simulator import simulate; print('numba' in sys.modules)"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()

    # Then numba is not loaded until a run needs it
    assert imported == "False"
