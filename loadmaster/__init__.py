"""loadmaster: host a portfolio of ML models on Amazon SageMaker at the lowest cost that meets each model's latency.

Configuration flows one way: portfolio file -> validated spec (`loadmaster.spec`, each hosting's model in `loadmaster.hostings`) -> plan
(`loadmaster.plan`) -> CDK stacks (`stacks/`).
"""

__version__ = "0.1.0"
