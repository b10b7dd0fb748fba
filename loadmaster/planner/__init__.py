"""The planner: decides what a portfolio leaves open (hosting, per-copy compute, pools, instance types and counts)
and what the result costs. `make.py` makes the plan (`make_plan`, `plan_file`); `decide.py` takes the decisions it needs.
"""
