"""What a benchmark run built: raw rows, lead snapshots, training rows, scored leads and model quality."""
from __future__ import annotations

from pathlib import Path

import duckdb

RAW_SCHEMAS = ("salesforce", "segment", "marketing", "signals", "product")


def warehouse_facts(db_path: Path) -> dict:
    """Row counts and the live model's facts, read from a built warehouse (read-only)."""
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        def scalar(sql: str):
            return connection.sql(sql).fetchall()[0][0]

        raw_tables = connection.sql(
            "select schema_name, table_name, estimated_size from duckdb_tables() "
            f"where schema_name in {RAW_SCHEMAS}"
        ).fetchall()
        raw_rows = {f"{schema}.{table}": int(scalar(f'select count(*) from "{schema}"."{table}"'))
                    for schema, table, _ in raw_tables}
        leads = raw_rows.get("salesforce.lead", 0)
        snapshots = connection.sql(
            """
            select
                count(*) as lead_snapshots,
                count(*) filter (where is_scoring_row) as scoring_rows,
                count(*) filter (where label is not null and is_label_mature and not is_never_worked)
                    as trainable_snapshots
            from analytics.lead_features
            """
        ).fetchall()[0]
        registry = connection.sql(
            """
            select algorithm, train_rows, validation_rows, test_rows, train_positives, test_auc_roc,
                   rule_points_test_auc_roc, hyperparameters_json
            from analytics.ml_model_registry
            where status = 'trained'
            order by trained_at
            """
        ).fetchall()
        registry_rows = int(scalar("select count(*) from analytics.ml_model_registry"))
        sampled = scalar("select sum(trainable_snapshots) from analytics.int_training_leads_sampled")
        feature_columns = len(connection.sql("select * from analytics.lead_features limit 0").columns)
        facts = {
            "raw_rows_total": sum(raw_rows.values()),
            "raw_rows_per_lead": round(sum(raw_rows.values()) / max(leads, 1), 1),
            "raw_rows": raw_rows,
            "lead_snapshots": int(snapshots[0]),
            "scoring_rows": int(snapshots[1]),
            "trainable_snapshots": int(snapshots[2]),
            "sampled_training_snapshots": None if sampled is None else int(sampled),
            "lead_features_columns": feature_columns,
            "lead_scores_rows": int(scalar("select count(*) from analytics.lead_scores")),
            "registry_rows": registry_rows,
            "database_bytes": Path(db_path).stat().st_size,
        }
        if registry:
            algorithm, train, validation, test, train_positives, test_auc, rules_auc, hyper = registry[0]
            facts.update({
                "algorithm": algorithm, "train_rows": train, "validation_rows": validation, "test_rows": test,
                "train_positives": train_positives, "test_auc_roc": test_auc, "rule_points_test_auc_roc": rules_auc,
                "hyperparameters_json": hyper,
            })
        facts["oracle"] = _oracle(connection)
        return facts
    finally:
        connection.close()


def _oracle(connection) -> dict | None:
    """The live model's test AUC next to the generator's true probabilities (None without a truth schema, or when
    the data was generated with ``--no-truth``)."""
    from leadscore.oracle import oracle_comparison

    try:
        predictions = connection.sql(
            "select lead_id, as_of_date, label, probability from analytics.ml_test_predictions").df()
        truth = connection.sql(
            "select lead_id, as_of_date, true_probability from truth.lead_conversion_probability").df()
    except duckdb.Error:
        return None
    truth = truth[truth["true_probability"].notna()]
    if predictions.empty or truth.empty:
        return None
    return {key: (round(value, 4) if isinstance(value, float) else value)
            for key, value in oracle_comparison(predictions, truth).items()}
