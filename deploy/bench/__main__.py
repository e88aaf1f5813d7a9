"""`python -m bench`: start the whole stack in a temporary directory, run the benchmark, print a
summary and write `bench-results/<timestamp>.json` and `.svg`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from . import report
from .run import BenchOptions, benchmark
from .stack import StackOptions, local_stack


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--schools", type=int, default=500, help="schools (default 500)")
    parser.add_argument("--sms", type=int, default=100_000, help="SMS in the burst (100000)")
    parser.add_argument(
        "--poll-sms",
        type=int,
        default=None,
        help="SMS en transit for the status-poll cycle (default: as many as --sms; 0: skip)",
    )
    parser.add_argument("--poll-interval", type=float, default=1.0, help="status polling, s")
    parser.add_argument("--delivery-delay", type=float, default=0.2, help="simulator, s")
    parser.add_argument("--diffuse-concurrency", type=int, default=32)
    parser.add_argument("--stall", type=float, default=120.0, help="give up after no progress, s")
    parser.add_argument("--no-raw-kafka", action="store_true", help="skip the raw aiokafka run")
    parser.add_argument("--kafka-heap", default="512m")
    parser.add_argument(
        "--fast-unsafe", action="store_true", help="PostgreSQL with fsync=off (not a deployment)"
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument(
        "--keep", action="store_true", help="keep the data and logs directory (printed)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # The raw broker run's warm-up meets a new topic's leader elections; aiokafka retries them
    # and logs each one. Failures that matter reach the benchmark as exceptions.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    stack_options = StackOptions(
        poll_interval_s=args.poll_interval,
        kafka_heap=args.kafka_heap,
        fast_unsafe=args.fast_unsafe,
    )
    options = BenchOptions(
        schools=args.schools,
        sms=args.sms,
        poll_sms=args.poll_sms,
        delivery_delay_s=args.delivery_delay,
        diffuse_concurrency=args.diffuse_concurrency,
        stall_s=args.stall,
        raw_kafka=not args.no_raw_kafka,
        parameters={
            "poll_interval_s": args.poll_interval,
            "kafka_heap": args.kafka_heap,
            "postgresql_fsync": not args.fast_unsafe,
        },
    )
    root = Path(tempfile.mkdtemp(prefix="sms-bench-"))
    try:
        with local_stack(root, stack_options) as target:
            result = asyncio.run(benchmark(target, options))
    except BaseException:
        sys.stderr.write(f"benchmark failed; data and logs kept in {root}\n")
        raise
    if args.keep:
        sys.stderr.write(f"data and logs kept in {root}\n")
    else:
        shutil.rmtree(root, ignore_errors=True)
    json_path, svg_path = report.write(result, args.out)
    sys.stdout.write(report.summary(result))
    sys.stdout.write(f"\nReport: {json_path}\nChart:  {svg_path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
