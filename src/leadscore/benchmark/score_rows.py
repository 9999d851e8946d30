"""Score exactly N lead snapshots with the live model and its top factors, outside dbt, to time scoring alone.

``python -m leadscore.benchmark.score_rows --db WAREHOUSE --rows 1000000`` reads the champion and the newest N
rows of ``lead_features`` from a built warehouse (read-only) and runs :func:`leadscore.pipeline.score_open_leads`,
the function ``int_lead_scores_computed`` calls: probability, score, band, expected value, three reasons up and
down as sentences and the contributions JSON. Prints one JSON line per phase (wall seconds, peak RSS).
"""
from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from leadscore.benchmark.reference import PhaseLog
from leadscore.pipeline import score_open_leads
from leadscore.warehouse import to_pandas


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m leadscore.benchmark.score_rows",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a built warehouse (opened read-only)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="snapshots to score (default %(default)s)")
    parser.add_argument("--phases-out", type=Path, help="JSON lines file, one line per finished phase")
    args = parser.parse_args(argv)
    log = PhaseLog(args.phases_out)
    connection = duckdb.connect(str(args.db), read_only=True)
    with log.phase("read"):
        rows = to_pandas(connection.query(
            f"select * from analytics.lead_features order by as_of_date desc, lead_id limit {int(args.rows)}"),
            sort_by=["lead_id", "as_of_date"])
        champion = to_pandas(connection.query("select * from analytics.ml_champion_model"))
        seeds = {name: to_pandas(connection.query(f"select * from analytics_reference.{name}"))
                 for name in ("feature_catalog", "score_bands", "lead_scoring_rules")}
    started = time.perf_counter()
    with log.phase("score_with_top_factors"):
        scored = score_open_leads(rows, champion, seeds["feature_catalog"], seeds["score_bands"],
                                  seeds["lead_scoring_rules"])
    print(json.dumps({"rows": len(scored), "seconds": round(time.perf_counter() - started, 2),
                      "scoring_method": str(scored["scoring_method"].iloc[0]) if len(scored) else None}))


if __name__ == "__main__":
    main()
