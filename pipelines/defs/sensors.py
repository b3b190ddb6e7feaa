"""Sensors: new landing files start an ingest; days touched by an ingest get rebuilt.

Together they carry a file dropped into landing/ through to the marts without waiting for the
nightly schedule: landing_sensor -> ingest_job -> lake_requests materialisation ->
lake_dates_sensor -> daily_build_job for each touched usage date.
"""

import hashlib
import json
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from .partitions import daily_partitions
from .resources import LlmcostResource

# A file modified this recently may still be being written (exporters, non-atomic copies);
# it is left for a later tick instead of ingesting half of it.
SETTLE_SECONDS = 30
MATERIALISATIONS_PER_TICK = 100
# Tags Dagster reads to run a partitioned asset job over a range of partitions in one run.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def _digest(text: str, length: int = 16) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def landing_listing(landing: Path, *, now: float, settle_seconds: float = SETTLE_SECONDS
                    ) -> dict[str, str]:
    """Settled, non-hidden files under landing/ (the files ingest would read) as a digest of
    (path, size, mtime) -> relative path. A changed file gets a new digest."""
    listing = {}
    for path in landing.rglob("*"):
        relative = path.relative_to(landing)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        stat = path.stat()
        if now - stat.st_mtime < settle_seconds:
            continue
        listing[_digest(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}")] = str(relative)
    return listing


@dg.sensor(
    job_name="ingest_job",
    minimum_interval_seconds=60,
    description="Every minute, request an ingest run when files under landing/ are new or "
    "changed (path, size, mtime) since the last evaluation.",
)
def landing_sensor(context: dg.SensorEvaluationContext, llmcost: LlmcostResource):
    landing = llmcost.data_home().landing
    if not landing.is_dir():
        return dg.SkipReason(f"{landing} does not exist")
    # The cursor holds one short digest per file seen: bounded, and it survives restarts.
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    listing = landing_listing(landing, now=time.time())
    new = sorted(set(listing) - seen)
    cursor = json.dumps(sorted(listing))
    if not new:
        return dg.SensorResult(skip_reason=dg.SkipReason("no new files in landing/"), cursor=cursor)
    names = sorted(listing[key] for key in new)
    context.log.info(f"{len(names)} new file(s) in {landing}: {', '.join(names[:10])}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"landing-{_digest(chr(10).join(new))}",
                tags={"llmcost/new_files": str(len(names))},
            )
        ],
        cursor=cursor,
    )


def date_ranges(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days merged into (first, last) ranges."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


@dg.sensor(
    job_name="daily_build_job",
    minimum_interval_seconds=30,
    description="When the lake has new requests, build the daily marts for the usage dates the "
    "ingest touched (one run per range of consecutive days).",
)
def lake_dates_sensor(context: dg.SensorEvaluationContext):
    # Not an @asset_sensor: that one reads only the latest materialisation per tick, so the
    # dates of an earlier ingest in the same interval would be lost.
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("lake_requests"), after_storage_id=after),
        limit=MATERIALISATIONS_PER_TICK,
        ascending=True,
    ).records
    if not records:
        return dg.SkipReason("no new lake_requests materialisation")
    cursor = str(records[-1].storage_id)
    touched = set()
    for record in records:
        entry = record.asset_materialization.metadata.get("usage_dates")
        touched.update(entry.value if entry is not None else [])
    in_range = sorted(key for key in touched if daily_partitions.has_partition_key(key))
    outside = sorted(touched - set(in_range))
    if outside:
        context.log.info(
            f"skipping {len(outside)} usage date(s) outside the daily partitions "
            f"({daily_partitions.start:%Y-%m-%d} .. yesterday): {', '.join(outside[:10])}"
        )
    if not in_range:
        return dg.SensorResult(
            skip_reason=dg.SkipReason("the new ingests touched no buildable usage date"),
            cursor=cursor,
        )
    run_requests = []
    for first, last in date_ranges([date.fromisoformat(key) for key in in_range]):
        run_key = f"lake-{cursor}-{first}-{last}"
        if first == last:
            run_requests.append(dg.RunRequest(run_key=run_key, partition_key=first.isoformat()))
        else:
            run_requests.append(dg.RunRequest(
                run_key=run_key,
                tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
            ))
    return dg.SensorResult(run_requests=run_requests, cursor=cursor)
