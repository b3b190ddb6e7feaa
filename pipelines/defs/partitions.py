"""Time partitions: one per UTC usage day (``usage_date`` of the marts ``requests`` and
``daily_costs``)."""

from datetime import date

import dagster as dg

# The earliest day a backfill can reach; requests older than this stay in the lake unbuilt.
FIRST_USAGE_DATE = "2025-01-01"

# end_offset=0: the newest partition is yesterday, the last complete UTC day. Requests of today
# reach the marts with tomorrow's nightly build.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=FIRST_USAGE_DATE, end_offset=0, timezone="UTC"
)


def partition_dates(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> list[date]:
    """The usage dates of a run: one partition, a range (a single-run backfill), or none."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return []
    return [date.fromisoformat(key) for key in context.partition_keys]
