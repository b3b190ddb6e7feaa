"""Jobs. Dagster runs one partitions definition per job, so the unpartitioned lake and the
daily marts are separate jobs; unpartitioned marts ride along in the job that feeds them."""

import dagster as dg

from .partitions import daily_partitions

# Landing -> lake, and the marts that describe ingestion (they read only the lake).
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("lake")
    | dg.AssetSelection.assets("quarantine", "ingest_runs"),
    description="Ingest everything new under landing/ into the lake, then rebuild the "
    "quarantine and ingest_runs marts.",
)

# The daily marts for the run's usage dates, then the unpartitioned marts that read requests
# or the price files (rebuilt whole, once per run).
daily_build_job = dg.define_asset_job(
    "daily_build_job",
    selection=dg.AssetSelection.assets("requests", "usage_buckets", "daily_costs",
                                       "session_costs", "cost_coverage", "prices",
                                       "reconciliation", "focus_export"),
    partitions_def=daily_partitions,
    description="Price and build requests and daily_costs for the partition's usage dates, and "
    "rebuild usage_buckets, session_costs, cost_coverage, prices and reconciliation; write the "
    "FOCUS export.",
)
