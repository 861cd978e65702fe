"""Statistics of simulated data: estimators that read what a model produced.

Modules:
    propensity: binned rates with Wilson intervals, a quadratic-logit fit of the propensity to
        open against firm size, its peak with intervals and tests for an interior peak.
"""
