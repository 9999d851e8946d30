"""How close the live model is to the best possible: its test AUC against the generator's true probabilities.

Usage: ``python -m leadscore.oracle --db data/lead_scoring.duckdb``. Reads the warehouse's test predictions,
the champion's registry row and the generator's truth schema (which no dbt model reads).
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence

import duckdb
import pandas as pd

from leadscore.ml import auc_roc, expected_calibration_error


def oracle_comparison(test_predictions: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """AUC of the model and of the true probabilities on the same test rows, and the model's calibration error.

    Parameters
    ----------
    test_predictions : pandas.DataFrame
        ``lead_id, as_of_date, label, probability`` of the live model on its test split.
    truth : pandas.DataFrame
        ``lead_id, as_of_date, true_probability`` from the generator.

    Returns
    -------
    dict
        rows, rows_with_truth, model_auc, oracle_auc, gap_to_oracle, model_ece.
    """
    merged = test_predictions.merge(truth, on=["lead_id", "as_of_date"], how="inner")
    labels = merged["label"].astype(int).to_numpy()
    model_auc = auc_roc(labels, merged["probability"].astype(float).to_numpy())
    oracle_auc = auc_roc(labels, merged["true_probability"].astype(float).to_numpy())
    return {
        "rows": len(test_predictions),
        "rows_with_truth": len(merged),
        "model_auc": model_auc,
        "oracle_auc": oracle_auc,
        "gap_to_oracle": oracle_auc - model_auc,
        "model_ece": expected_calibration_error(
            test_predictions["label"].astype(int).to_numpy(), test_predictions["probability"].astype(float).to_numpy()
        ),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Print the champion's test AUC against the oracle and the rule-based score."""
    parser = argparse.ArgumentParser(prog="python -m leadscore.oracle", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/lead_scoring.duckdb", help="DuckDB warehouse file")
    parser.add_argument("--schema", default="analytics", help="schema the dbt models build into")
    args = parser.parse_args(argv)
    connection = duckdb.connect(args.db, read_only=True)
    try:
        predictions = connection.sql(f"select * from {args.schema}.ml_test_predictions").df()
        truth = connection.sql("select lead_id, as_of_date, true_probability from truth.lead_conversion_probability").df()
        champion = connection.sql(
            f"select model_version, algorithm, test_auc_roc, rule_points_test_auc_roc, test_ece "
            f"from {args.schema}.ml_champion_model"
        ).df().iloc[0]
    finally:
        connection.close()
    result = oracle_comparison(predictions, truth)
    rule_auc = float(champion["rule_points_test_auc_roc"])
    print(f"champion {champion['model_version']} ({champion['algorithm']}) on {result['rows']:,} test rows")
    print(f"  model test AUC        {result['model_auc']:.4f}")
    print(f"  oracle AUC            {result['oracle_auc']:.4f}   (generator's true probabilities, same rows)")
    print(f"  rule-based points AUC {rule_auc:.4f}")
    print(f"  gap to oracle         {result['gap_to_oracle']:+.4f}   (aim: within 0.02)")
    print(f"  lift over rules       {result['model_auc'] - rule_auc:+.4f}   (aim: at least +0.10)")
    print(f"  expected calib. error {result['model_ece']:.4f}   (aim: under 0.02)")


if __name__ == "__main__":
    main()
