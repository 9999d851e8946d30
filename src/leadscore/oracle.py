"""How close the live model is to the best possible: its AUC against the generator's true probabilities.

Usage: ``python -m leadscore.oracle --db data/lead_scoring.duckdb [--ceiling]``. Reads the warehouse's test
predictions, the champion's registry row, the as-of backtest and the generator's truth schema (which no dbt model
reads). Two blocks:

* the test split: the champion's test predictions against the truth of the same snapshots;
* the open cohort: at the newest cut date of the newest as-of backtest (``ml_backtest_predictions``), every lead
  open then, scored by a model trained only on outcomes matured before the cut, against the truth at the cut; for
  all open leads and for those under 100 days old. These are the leads a user scores, so this is the block that
  says how well the package ranks today's leads.

``--ceiling`` also measures how much of the oracle the recorded features can reach at all, on the same rows: a
model trained and scored on those rows (grouped 5-fold by lead, so no lead in both folds), and a model fitted to
the true probabilities themselves (noise-free targets, same grouped folds): what the feature columns can express
with unlimited labels. The gap between that figure and the oracle is information the CRM, web and email records do
not hold (latent interest, future buying episodes), not a modelling shortfall; the gap between the model and that
figure is what more labels, less drift or better learning could still win.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from leadscore.ml import auc_roc, expected_calibration_error
from leadscore.ml.features import feature_kinds, make_encoder, select_feature_columns

KEY = ["lead_id", "as_of_date"]
#: Open-cohort slices: name and the rows they keep.
COHORTS = {"all_open": None, "under_100_days": "is_young"}


def oracle_comparison(test_predictions: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """AUC of the model and of the true probabilities on the same rows, and the model's calibration error.

    Parameters
    ----------
    test_predictions : pandas.DataFrame
        ``lead_id, as_of_date, label, probability`` of a model.
    truth : pandas.DataFrame
        ``lead_id, as_of_date, true_probability`` from the generator.

    Returns
    -------
    dict
        rows, rows_with_truth, model_auc, oracle_auc (both on the rows with a truth), gap_to_oracle, model_ece (on
        every row).
    """
    merged = test_predictions.merge(truth, on=KEY, how="inner")
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


def newest_backtest_cut(backtest: pd.DataFrame) -> pd.DataFrame:
    """Rows of the newest cut date of the newest model version of an as-of backtest.

    Model versions are ``v<yyyymmddHHMMSS>-<digest>``, so the greatest one is the newest.

    Parameters
    ----------
    backtest : pandas.DataFrame
        Rows of ``ml_backtest_predictions`` (``model_version``, ``cut_date``, ...).

    Returns
    -------
    pandas.DataFrame
        The rows of that cut, sorted by lead (empty when ``backtest`` is).
    """
    if backtest.empty:
        return backtest
    version = backtest["model_version"].max()
    rows = backtest[backtest["model_version"] == version]
    rows = rows[rows["cut_date"] == rows["cut_date"].max()]
    return rows.sort_values("lead_id", kind="mergesort").reset_index(drop=True)


def _slice(frame: pd.DataFrame, flag: str | None) -> pd.DataFrame:
    """The rows of a cohort slice: all rows, or those where the boolean column ``flag`` is true."""
    return frame if flag is None else frame[frame[flag].fillna(False).astype(bool).to_numpy()]


def open_cohort_comparison(cohort: pd.DataFrame, truth: pd.DataFrame) -> dict[str, dict]:
    """The oracle comparison on the open cohort of one cut, for all open leads and for those under 100 days.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One cut of ``ml_backtest_predictions``: ``lead_id, as_of_date, label, probability, is_young`` and, when
        present, the baselines ``rule_points`` and ``recency_score``. Rows without a probability (no model at the
        cut) are left out of the model's figures and counted in ``rows_without_model``.
    truth : pandas.DataFrame
        ``lead_id, as_of_date, true_probability``.

    Returns
    -------
    dict
        Per slice (``all_open``, ``under_100_days``): the keys of :func:`oracle_comparison`, plus
        ``rows_without_model``, ``positives``, and ``rule_points_auc`` and ``recency_auc`` on the same rows.
    """
    results = {}
    for name, flag in COHORTS.items():
        rows = _slice(cohort, flag)
        rows = rows[rows["label"].notna().to_numpy()]
        scored = rows[rows["probability"].notna().to_numpy()]
        labels = rows["label"].astype(int).to_numpy()
        result = (oracle_comparison(scored[KEY + ["label", "probability"]], truth) if len(scored)
                  else {"rows": 0, "rows_with_truth": 0, "model_auc": np.nan, "oracle_auc": np.nan,
                        "gap_to_oracle": np.nan, "model_ece": np.nan})
        result["rows_without_model"] = len(rows) - len(scored)
        result["positives"] = int(labels.sum())
        for baseline, column in (("rule_points_auc", "rule_points"), ("recency_auc", "recency_score")):
            values = rows[column].astype(float).to_numpy() if column in rows.columns else np.full(len(rows), np.nan)
            known = ~np.isnan(values)
            result[baseline] = auc_roc(labels[known], values[known]) if known.any() else np.nan
        results[name] = result
    return results


def _tree_matrix(rows: pd.DataFrame, catalog: pd.DataFrame) -> tuple[np.ndarray, list[int]]:
    """The model-ready matrix of the catalog's (unprotected) features and the positions of categorical columns."""
    features = select_feature_columns(rows, catalog)
    kinds = feature_kinds(rows, catalog)
    encoder = make_encoder(features, {name: kinds[name] for name in features}, "tree").fit(rows)
    return encoder.transform(rows), list(encoder.categorical_indices_)


def _boosted(X: np.ndarray, target: np.ndarray, categorical: list[int], objective: str, seed: int):
    """A fixed, regularized LightGBM fit: a yardstick, not a tuned model (binary labels get shallower trees)."""
    import lightgbm as lgb

    noisy = objective == "binary"
    params = {"objective": objective, "learning_rate": 0.05, "num_leaves": 7 if noisy else 31,
              "min_data_in_leaf": max(50, len(target) // 200) if noisy else 50,
              "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
              "num_threads": 2, "seed": seed, "deterministic": True, "verbose": -1}
    rounds = 200 if noisy else 300
    return lgb.train(params, lgb.Dataset(X, label=target, categorical_feature=categorical), num_boost_round=rounds)


def ceiling_scores(rows: pd.DataFrame, catalog: pd.DataFrame, *, folds: int = 5, seed: int = 42) -> pd.DataFrame:
    """Out-of-fold scores of the two yardstick models (see the module docstring) on every row.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``lead_features`` rows with ``label`` and ``true_probability``.
    catalog : pandas.DataFrame
        Feature catalog seed (protected features stay out, as in training).
    folds, seed : int
        Grouped folds (by lead) and the LightGBM seed.

    Returns
    -------
    pandas.DataFrame
        ``rows`` sorted by lead and date, with ``from_labels`` (trained on the labels of the other folds) and
        ``from_truth`` (fitted to the true probabilities of the other folds).
    """
    from sklearn.model_selection import GroupKFold

    rows = rows.sort_values(KEY).reset_index(drop=True)
    X, categorical = _tree_matrix(rows, catalog)
    labels = rows["label"].astype(int).to_numpy()
    truth = rows["true_probability"].to_numpy(dtype=float)
    from_labels, from_truth = np.zeros(len(rows)), np.zeros(len(rows))
    for fit_rows, held_out in GroupKFold(n_splits=folds).split(X, groups=rows["lead_id"].to_numpy()):
        from_labels[held_out] = _boosted(X[fit_rows], labels[fit_rows], categorical, "binary", seed).predict(X[held_out])
        from_truth[held_out] = _boosted(X[fit_rows], truth[fit_rows], categorical, "cross_entropy", seed).predict(
            X[held_out])
    return rows.assign(from_labels=from_labels, from_truth=from_truth)


def _ceiling_aucs(scored: pd.DataFrame) -> dict:
    labels = scored["label"].astype(int).to_numpy()
    return {"rows": len(scored), "within_period_auc": auc_roc(labels, scored["from_labels"].to_numpy()),
            "truth_fit_auc": auc_roc(labels, scored["from_truth"].to_numpy())}


def feature_ceiling(rows: pd.DataFrame, catalog: pd.DataFrame, *, folds: int = 5, seed: int = 42) -> dict:
    """How well the recorded features can rank the rows, measured two ways (see the module docstring).

    Parameters
    ----------
    rows : pandas.DataFrame
        ``lead_features`` rows with ``label`` and ``true_probability``.
    catalog : pandas.DataFrame
        Feature catalog seed (protected features stay out, as in training).

    Returns
    -------
    dict
        rows, within_period_auc (grouped cross-validation on the labels of the rows) and truth_fit_auc (the same
        folds, fitted to the true probabilities), both as AUC against the labels.
    """
    return _ceiling_aucs(ceiling_scores(rows, catalog, folds=folds, seed=seed))


def open_cohort_ceiling(rows: pd.DataFrame, catalog: pd.DataFrame, *, folds: int = 5, seed: int = 42) -> dict:
    """:func:`feature_ceiling` of an open cohort, per slice: fitted once on every open row (more rows make a higher,
    stricter yardstick), its out-of-fold scores judged on all open leads and on those under 100 days.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``lead_features`` rows of the cohort with its ``label``, ``is_young`` and ``true_probability``.

    Returns
    -------
    dict
        Per slice (``all_open``, ``under_100_days``): rows, within_period_auc, truth_fit_auc.
    """
    scored = ceiling_scores(rows, catalog, folds=folds, seed=seed)
    return {name: _ceiling_aucs(_slice(scored, flag)) for name, flag in COHORTS.items()}


# ---------------------------------------------------------------- reading the warehouse and printing

def _existing_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    return {f"{schema}.{name}" for schema, name in connection.sql(
        "select table_schema, table_name from information_schema.tables").fetchall()}


def _format(value: float, signed: bool = False) -> str:
    if value is None or np.isnan(value):
        return "n/a"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def print_test_split(result: dict, champion: pd.Series, ceiling: dict | None) -> None:
    """The test-split block."""
    rule_auc = float(champion["rule_points_test_auc_roc"])
    # the shipped model is refitted on every matured row, test included: the registry's figures are those of the
    # same recipe fitted before the test period, the honest ones
    model_auc = float(champion["test_auc_roc"])
    print(f"champion {champion['model_version']} ({champion['algorithm']}) on {result['rows']:,} test rows")
    print(f"  model test AUC        {model_auc:.4f}   (fitted before the test period; the shipped refit has seen it)")
    print(f"  oracle AUC            {result['oracle_auc']:.4f}   (generator's true probabilities, same rows)")
    print(f"  rule-based points AUC {rule_auc:.4f}")
    print(f"  gap to oracle         {result['oracle_auc'] - model_auc:+.4f}   (aim: within 0.02)")
    print(f"  lift over rules       {model_auc - rule_auc:+.4f}   (aim: at least +0.10)")
    print(f"  expected calib. error {float(champion['test_ece']):.4f}   (aim: under 0.02)")
    if ceiling is not None:
        print("what the recorded features can reach on the same rows:")
        print(f"  trained on labels inside the test period (grouped 5-fold) {ceiling['within_period_auc']:.4f}")
        print(f"  fitted to the true probabilities (grouped 5-fold) {ceiling['truth_fit_auc']:.4f}"
              f"   (oracle minus this = information no record holds: "
              f"{result['oracle_auc'] - ceiling['truth_fit_auc']:+.4f})")


def print_open_cohort(cohort: pd.DataFrame, results: dict[str, dict], ceiling: dict[str, dict] | None) -> None:
    """The open-cohort block: one column per slice."""
    all_open, young = results["all_open"], results["under_100_days"]
    print(f"open cohort at {pd.Timestamp(cohort['cut_date'].iloc[0]):%Y-%m-%d} (as-of backtest of "
          f"{cohort['model_version'].iloc[0]}):")
    print("  the leads open at the cut, scored by a model trained only on outcomes matured before it")
    print(f"  {'':<24}{'all open':>10}{'< 100 days':>13}")
    rows = [("leads", lambda r: f"{r['rows'] + r['rows_without_model']:,}"),
            ("converted in 90 days", lambda r: f"{r['positives']:,}"),
            ("model AUC", lambda r: _format(r["model_auc"])),
            ("oracle AUC", lambda r: _format(r["oracle_auc"])),
            ("gap to oracle", lambda r: _format(r["gap_to_oracle"], signed=True)),
            ("expected calib. error", lambda r: _format(r["model_ece"])),
            ("rule-based points AUC", lambda r: _format(r["rule_points_auc"])),
            ("recency AUC", lambda r: _format(r["recency_auc"]))]
    for label, value in rows:
        print(f"  {label:<24}{value(all_open):>10}{value(young):>13}")
    print("  (oracle: the generator's true probabilities at the cut, same rows; aim: ECE under 0.02)")
    for name, result in results.items():
        if result["rows_with_truth"] < result["rows"]:
            print(f"  note: {result['rows'] - result['rows_with_truth']:,} {name} rows have no truth: leads no longer "
                  "open at the cut (closed earlier than the package saw), whose truth the generator does not write; "
                  "AUCs use the rows with one")
        if result["rows_without_model"]:
            print(f"  note: {result['rows_without_model']:,} {name} rows have no model probability at this cut")
    if ceiling is not None:
        print("what the recorded features can reach on these rows (fitted on every open row, grouped 5-fold):")
        print(f"  {'trained on labels at the cut':<40}{_format(ceiling['all_open']['within_period_auc']):>10}"
              f"{_format(ceiling['under_100_days']['within_period_auc']):>13}")
        print(f"  {'fitted to the true probabilities':<40}{_format(ceiling['all_open']['truth_fit_auc']):>10}"
              f"{_format(ceiling['under_100_days']['truth_fit_auc']):>13}")
        print(f"  {'model minus this (aim: -0.01 or more)':<40}"
              f"{_format(all_open['model_auc'] - ceiling['all_open']['truth_fit_auc'], signed=True):>10}"
              f"{_format(young['model_auc'] - ceiling['under_100_days']['truth_fit_auc'], signed=True):>13}")


def main(argv: Sequence[str] | None = None) -> None:
    """Print the test-split block and the open-cohort block; a block whose tables are missing prints why."""
    parser = argparse.ArgumentParser(prog="python -m leadscore.oracle", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/lead_scoring.duckdb", help="DuckDB warehouse file")
    parser.add_argument("--schema", default="analytics", help="schema the dbt models build into")
    parser.add_argument("--ceiling", action="store_true",
                        help="also measure how much of the oracle the recorded features can reach (slower)")
    args = parser.parse_args(argv)
    schema = args.schema
    connection = duckdb.connect(args.db, read_only=True)
    try:
        tables = _existing_tables(connection)
        if "truth.lead_conversion_probability" not in tables:
            print(f"no generator truth in {args.db} (truth.lead_conversion_probability): the oracle needs demo data "
                  "from python -m leadscore.generator")
            return
        truth = connection.sql("select lead_id, as_of_date, true_probability "
                               "from truth.lead_conversion_probability").df()
        catalog = (connection.sql(f"select * from {schema}_reference.feature_catalog").df()
                   if args.ceiling and f"{schema}_reference.feature_catalog" in tables else None)

        test = None
        if {f"{schema}.ml_test_predictions", f"{schema}.ml_champion_model"} <= tables:
            champion = connection.sql(
                f"select model_version, algorithm, test_auc_roc, rule_points_test_auc_roc, test_ece "
                f"from {schema}.ml_champion_model").df()
            predictions = connection.sql(f"select * from {schema}.ml_test_predictions").df()
            if len(champion) and len(predictions):
                test_ceiling_rows = None
                if catalog is not None:
                    test_ceiling_rows = connection.sql(
                        f"select features.*, truth.true_probability from {schema}.ml_test_predictions as predictions "
                        f"inner join {schema}.lead_features as features "
                        "on predictions.lead_id = features.lead_id and predictions.as_of_date = features.as_of_date "
                        "inner join truth.lead_conversion_probability as truth "
                        "on predictions.lead_id = truth.lead_id and predictions.as_of_date = truth.as_of_date"
                    ).df()
                test = (predictions, champion.iloc[0], test_ceiling_rows)

        cohort = cohort_features = None
        if f"{schema}.ml_backtest_predictions" in tables:
            cohort = newest_backtest_cut(connection.sql(f"select * from {schema}.ml_backtest_predictions").df())
            if len(cohort) and catalog is not None:
                connection.register("oracle_cohort", cohort[KEY])
                cohort_features = connection.sql(
                    f"select features.* from {schema}.lead_features as features "
                    "inner join oracle_cohort on oracle_cohort.lead_id = features.lead_id "
                    "and oracle_cohort.as_of_date = features.as_of_date where not features.is_scoring_row").df()
    finally:
        connection.close()

    if test is None:
        print(f"no test split to compare ({schema}.ml_test_predictions or {schema}.ml_champion_model is missing or "
              "empty): build the package first")
    else:
        predictions, champion, test_ceiling_rows = test
        print_test_split(oracle_comparison(predictions, truth), champion,
                         feature_ceiling(test_ceiling_rows, catalog) if test_ceiling_rows is not None else None)
    print()
    if cohort is None:
        print(f"no open cohort to compare: {schema}.ml_backtest_predictions is missing (the as-of backtest has not "
              "run; build with var backtest_cuts above 0)")
        return
    if cohort.empty:
        print(f"no open cohort to compare: {schema}.ml_backtest_predictions is empty")
        return
    ceiling = None
    if cohort_features is not None:
        rows = (cohort_features.drop(columns=["label"], errors="ignore")
                .merge(cohort[KEY + ["label", "is_young"]], on=KEY)
                .merge(truth, on=KEY))
        rows = rows[rows["label"].notna().to_numpy()]
        ceiling = open_cohort_ceiling(rows, catalog)
    print_open_cohort(cohort, open_cohort_comparison(cohort, truth), ceiling)


if __name__ == "__main__":
    main()
