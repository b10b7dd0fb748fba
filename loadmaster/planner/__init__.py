"""The planner: decides what a portfolio leaves open (hosting, per-copy compute, pools, instance types and counts)
and what the result costs. `loadmaster.plan.make_plan` is its one caller; `decide.py` is the entry point.
"""
