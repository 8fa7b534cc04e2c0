"""Runs a lakefeed manifest as Ray tasks, one shard each, and commits them once on the driver.

    python examples/ray/ingest.py ingest.yaml --workers 64 --store s3://my-bucket/lakefeed

On a Ray cluster, run it on the head node (or with RAY_ADDRESS set): each task needs lakefeed installed
(`pip install ./python`) and the manifest and its data at the same paths (a shared file system). Without a cluster
it starts a local one with --num-cpus CPUs. Credentials come from the usual AWS_* variables, or --storage-option.
Prints the run report as JSON.
"""

import argparse
import json
import os

import ray

import lakefeed.ray


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("manifest")
    p.add_argument("--workers", type=int, default=4, help="shards, one Ray task each")
    p.add_argument("--store", default=None, help="default: LAKEFEED_STORE, else the manifest's store")
    p.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--cpus-per-task", type=float, default=1)
    p.add_argument("--num-cpus", type=int, default=None, help="CPUs of a local cluster (no RAY_ADDRESS)")
    args = p.parse_args()
    options = dict(kv.split("=", 1) for kv in args.storage_option)
    if os.environ.get("RAY_ADDRESS"):
        ray.init()
    else:
        ray.init(num_cpus=args.num_cpus, include_dashboard=False)
    report = lakefeed.ray.run(
        args.manifest,
        num_workers=args.workers,
        store=args.store,
        storage_options=options or None,
        num_cpus=args.cpus_per_task,
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
