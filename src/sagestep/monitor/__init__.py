"""Model-Monitor-compatible monitoring jobs: baseline, data quality, model quality.

A leaf package (numpy, pandas, scipy; only ``sagestep.errors`` from sagestep) so that it can
run inside any processing job, locally or on AWS, and write Model Monitor's files:
``statistics.json``, ``constraints.json`` and ``constraint_violations.json``.
"""
