"""Score every open lead with the live model (or the rule-based fallback), with reasons."""
from leadscore.pipeline import score_open_leads
from leadscore.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    rows = to_pandas(dbt.ref("int_open_leads_to_score"), sort_by=["lead_id"])
    champion = to_pandas(dbt.ref("ml_champion_model"))
    catalog = to_pandas(dbt.ref("feature_catalog"), sort_by=["feature_name"])
    bands = to_pandas(dbt.ref("score_bands"), sort_by=["min_score"])
    rules = to_pandas(dbt.ref("lead_scoring_rules"), sort_by=["rule_id"])
    return score_open_leads(rows, champion, catalog, bands, rules)
