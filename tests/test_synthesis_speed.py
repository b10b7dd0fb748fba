"""What keeps `loadmaster synth` near the speed of hand-written L1 (README, "Benchmark: synthesis speed"): the work
it skips stays skipped. Each check runs loadmaster in a fresh interpreter, where imports start from nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "codegen-platform.yaml"


def _in_a_fresh_interpreter(code: str) -> dict:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def test_planning_a_portfolio_with_a_region_does_not_import_cfn_lint():
    # Given the example, which names its region (inference components are checked against that region's schemas)
    # When it is planned in a fresh interpreter
    seen = _in_a_fresh_interpreter(
        "import json, sys\n"
        "from loadmaster.catalog import catalog_from\n"
        "from loadmaster.planner.make import plan_file\n"
        f"plan = plan_file({str(EXAMPLE)!r}, catalog_from(None), replan=False)\n"
        "print(json.dumps({'units': len(plan.units), 'cfnlint': 'cfnlint' in sys.modules}))"
    )

    # Then it is planned, and cfn-lint's provider schemas were read without its second of imports
    assert seen["units"] > 0
    assert seen["cfnlint"] is False
