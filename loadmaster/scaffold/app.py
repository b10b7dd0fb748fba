"""The CDK app: `cdk synth -c portfolio=FILE` (default: portfolio.yaml) through the installed loadmaster, which
plans the portfolio and adds its stacks (loadmaster.cdk_app)."""

from pathlib import Path

from loadmaster.cdk_app import main

main(default_portfolio=Path(__file__).with_name("portfolio.yaml"))
