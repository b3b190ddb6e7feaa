"""The Dagster layer of llmcost: every module here is loaded by ``dg.load_from_defs_folder``.

Wiring only (partitions, resources, assets, checks, jobs, schedules, sensors); the pipeline
itself lives in ``pipelines.ingest`` and ``pipelines.warehouse`` and has no Dagster import.
"""
