"""The live model's calibrated probability for every row of its untouched test split."""
from leadscore.pipeline import champion_test_predictions, champion_test_rows_sql
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    champion = to_pandas(dbt.ref("ml_champion_model"))
    # only the champion's test rows leave the warehouse
    test_rows = dbt.ref("lead_features_with_custom_fields").filter(champion_test_rows_sql(champion))
    features = to_pandas(test_rows, sort_by=["lead_id", "as_of_date"])
    bands = to_pandas(dbt.ref("score_bands"), sort_by=["min_score"])
    return champion_test_predictions(features, champion, bands)
