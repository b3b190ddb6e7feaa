"""The nightly schedule: ingest at 01:30 UTC, build yesterday's partition at 02:00 UTC.

Two schedules, not one yielding both runs: the run queue starts queued runs in order but
nothing makes the build wait for the ingest to succeed; half an hour apart (and the run queue
limit of one) keeps them ordered, and the lake sensor rebuilds any day a late ingest touches.
"""

import dagster as dg

from .jobs import daily_build_job, ingest_job

nightly_ingest = dg.ScheduleDefinition(
    name="nightly_ingest",
    job=ingest_job,
    cron_schedule="30 1 * * *",
    execution_timezone="UTC",
    description="Ingest everything new under landing/ every night at 01:30 UTC.",
)

# The partitions' end_offset=0 makes the newest partition at 02:00 yesterday's.
nightly_daily_build = dg.build_schedule_from_partitioned_job(
    daily_build_job,
    name="nightly_daily_build",
    hour_of_day=2,
    minute_of_hour=0,
    description="Build yesterday's partition of the daily marts every night at 02:00 UTC.",
)
