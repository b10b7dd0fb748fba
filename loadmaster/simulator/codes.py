"""The codes the compiled loop (`loadmaster.simulator.kernel`) and the engine share: metrics, statistics, alarm
comparisons and alarm roles. Apart from the kernel so that importing the simulator does not import numba (about 2 s):
the kernel is imported on the first run."""

# The metrics the simulation computes (engine.METRIC_CODES maps CloudWatch's names onto them).
CONCURRENCY, INVOCATIONS_PER_COPY, NO_CAPACITY_FAILURES, BACKLOG_PER_INSTANCE, BACKLOG_WITHOUT_CAPACITY, BACKLOG, INVOCATIONS = range(7)
METRIC_COUNT = 7
SUM, AVERAGE, MAXIMUM, MINIMUM = range(4)
GT, GE, LT, LE = range(4)
TRACK_HIGH, TRACK_LOW, STEP = range(3)
