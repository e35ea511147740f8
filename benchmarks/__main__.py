"""python -m benchmarks [--tiny] [NAME ...]: run the benchmarks, print tables, write results/NAME.json."""

import argparse
import asyncio
import importlib
import sys
import time

# name -> module; each module has `async def run(tiny: bool) -> Result`.
BENCHMARKS = {
    "fanout": "benchmarks.bench_fanout",
    "fanout_limits": "benchmarks.bench_fanout_limits",
    "digests": "benchmarks.bench_digests",
    "serve": "benchmarks.bench_serve",
    "reply": "benchmarks.bench_reply",
    "inbox": "benchmarks.bench_inbox",
    "pg": "benchmarks.bench_pg",  # PostgreSQL beside SQLite (skipped, with a line, without PostgreSQL installed)
    "idle": "benchmarks.bench_idle",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], help="which to run (default: all)")
    p.add_argument("--tiny", action="store_true", help="smallest sizes: only checks that each benchmark still works")
    args = p.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    for name in names:
        started = time.perf_counter()
        result = asyncio.run(importlib.import_module(BENCHMARKS[name]).run(args.tiny))
        result.add("benchmark wall time (s)", round(time.perf_counter() - started, 2))
        result.print()
        print(f"-> {result.save()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
