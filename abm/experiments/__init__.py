"""Experiments on the market: seeds, executors, the experiment runner, sampling and sensitivity.

Modules:
    simulate: the one adapter between experiments and :mod:`abm.market`.
    seeds: per-run seeds from one ``SeedSequence``.
    executors: serial, process-pool and Dask executors behind one interface.
    execution: what abm mc, sweep and sa share: the executor settings and running an experiment.
    runner: the experiment runner (chunked parquet output, resume, failure records).
    sampling: grid sweeps and SALib samples.
    sensitivity: SALib Sobol and Morris indices.
    discovery: scenario discovery over a sweep's runs (a CART tree's boxes, ``abm discover``).
    calibration: the market fitted to the real release data (``abm calibrate evidence``).
"""
