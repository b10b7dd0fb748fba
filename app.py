"""CDK entry point: `cdk synth -c portfolio=FILE [-c catalog=FILE]` (default: the built-in example and the shipped
instance catalog, as `loadmaster synth [--catalog FILE]`). The wiring is `loadmaster.cdk_app`, shared with the
`app.py` of every repository `loadmaster init` writes."""

from pathlib import Path

from loadmaster.cdk_app import main

main(default_portfolio=Path(__file__).resolve().parent / "examples" / "codegen-platform.yaml")
