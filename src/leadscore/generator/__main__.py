"""Command line.

``python -m leadscore.generator --leads N --seed S --db PATH [--end-date D] [--months M] [--no-drift]
[--truth-draws K | --no-truth] [--field-history]``
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

from leadscore.generator.config import RunParams
from leadscore.generator.pipeline import run
from leadscore.generator.truth import MIN_TRUTH_DRAWS


def parse_args(argv: Sequence[str] | None = None) -> RunParams:
    """Parse command-line arguments into :class:`RunParams`."""
    defaults = RunParams()
    parser = argparse.ArgumentParser(
        prog="python -m leadscore.generator",
        description="(Re)create the raw schemas salesforce, segment, marketing, signals, product and truth "
                    "in a DuckDB file with a deterministic synthetic B2B lead funnel.")
    parser.add_argument("--leads", type=int, default=defaults.leads, help="number of lead ids (default %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default %(default)s)")
    parser.add_argument("--db", type=Path, default=defaults.db, help="DuckDB file (default %(default)s)")
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=defaults.end_date,
                        help="last day of the timeline, YYYY-MM-DD (default %(default)s)")
    parser.add_argument("--months", type=int, default=defaults.months, help="timeline length (default %(default)s)")
    parser.add_argument("--no-drift", action="store_true", help="no buyer-behaviour shift late in the timeline")
    parser.add_argument("--truth-draws", type=int, default=defaults.truth_draws,
                        help="Monte Carlo draws per account and Monday for the honest truth probabilities "
                             f"(at least {MIN_TRUTH_DRAWS}; default %(default)s)")
    parser.add_argument("--no-truth", action="store_true",
                        help="skip the honest truth probabilities (the slowest step, read only by the oracle): "
                             "true_probability is null, every other table unchanged")
    parser.add_argument("--field-history", action="store_true",
                        help="the CRM tracks lead field history: also write salesforce.lead_history (status changes); "
                             "most orgs have none, so by default the table is absent")
    args = parser.parse_args(argv)
    if args.leads < 1 or args.months < 1:
        parser.error("--leads and --months must be positive")
    if args.truth_draws < MIN_TRUTH_DRAWS:
        parser.error(f"--truth-draws must be at least {MIN_TRUTH_DRAWS}")
    return RunParams(leads=args.leads, seed=args.seed, db=args.db, end_date=args.end_date, months=args.months,
                     drift=not args.no_drift, truth_draws=args.truth_draws,
                     honest_truth=not args.no_truth, field_history=args.field_history)


def main(argv: Sequence[str] | None = None) -> None:
    """Generate, then print rows per table and the conversion rate."""
    params = parse_args(argv)
    started = time.perf_counter()
    rows = run(params)
    elapsed = time.perf_counter() - started
    worked, converted = rows.pop("worked_leads"), rows.pop("converted_leads")
    unworked_converted = rows.pop("converted_unworked_leads")
    for table, count in rows.items():
        print(f"{table:<40} {count:>12,} rows")
    unworked = params.leads - worked
    print(f"conversion rate: {converted / params.leads:.2%} of {params.leads:,} leads, "
          f"{(converted - unworked_converted) / max(worked, 1):.2%} of {worked:,} worked leads, "
          f"{unworked_converted / max(unworked, 1):.2%} of {unworked:,} leads no rep touched; "
          f"written to {params.db} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
