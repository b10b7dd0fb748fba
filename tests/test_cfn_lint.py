"""cfn-lint, on every template the example produces, reports nothing: not an error, not a warning."""

import subprocess
import sys
from pathlib import Path


def test_cfn_lint_reports_nothing_on_the_example_templates(example_stacks):
    templates = [str(stack.template_file) for stack in example_stacks]
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run([str(cfn_lint), "--", *templates], capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
