"""loadmaster's compliance rules, one per module, in cdk-nag's style.

Each module holds one `Rule`: a pure function from a resource of a synthesized template (`template.Resource`) to
compliant, non-compliant or not applicable, with the message the synthesis report prints. Rules that need other
resources (a component's scaling policy, an alarm's action) read them from the same `template.StackTemplate`. `policies.loadmaster_pack.LoadmasterChecks` applies them.
"""
