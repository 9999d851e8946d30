"""As-of backtest results: AUC, ECE and precision and recall per band of the model, the rule points and recency,
per cut and cohort (all open leads, leads under 100 days old). Computed once per champion (incremental)."""
from leadscore.ml.backtest import RESULT_SCHEMA, backtest_due, backtest_results, empty_frame
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    champion = to_pandas(dbt.ref("ml_champion_model"))
    done = to_pandas(session.sql(f"select distinct model_version from {dbt.this}")) if dbt.is_incremental else None
    if not backtest_due(champion, done):
        return empty_frame(RESULT_SCHEMA)
    version = str(champion["model_version"].iloc[0]).replace("'", "''")
    predictions = dbt.ref("ml_backtest_predictions").filter(f"model_version = '{version}'")
    return backtest_results(to_pandas(predictions, sort_by=["cut_date", "lead_id"]),
                            to_pandas(dbt.ref("score_bands"), sort_by=["min_score"]))
