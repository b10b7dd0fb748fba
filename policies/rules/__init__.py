"""loadmaster's compliance rules, one per module, in cdk-nag's style.

Each module holds one `Rule`: a pure function from a `CfnResource` to compliant, non-compliant or not applicable,
with the message cdk-nag prints. Rules that need other resources (a component's scaling policy, an alarm's action)
read them from the resource's stack and change nothing. `policies.loadmaster_pack.LoadmasterChecks` applies them.
"""
