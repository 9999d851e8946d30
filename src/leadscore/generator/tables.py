"""Column names and DuckDB types of every table the generator writes (the raw contract plus extras).

The contract columns mirror ``models/staging/*/_*__sources.yml`` (the tests check they agree); salesforce
tables also carry the connector's ``_fivetran_synced``, and the lead table the optional ``last_modified_date``
and one custom field. Optional tables (``OPTIONAL_TABLES``) are created only when the run writes them: an org
without field history tracking has no ``lead_history`` table at all.
"""
from __future__ import annotations

TableSpec = tuple[tuple[str, str], ...]

V, TS, D, B, I, F = "VARCHAR", "TIMESTAMP", "DATE", "BOOLEAN", "BIGINT", "DOUBLE"
SYNCED = (("_fivetran_synced", TS),)

TABLES: dict[str, TableSpec] = {
    "salesforce.lead": (
        ("id", V), ("email", V), ("first_name", V), ("last_name", V), ("title", V), ("company", V),
        ("website", V), ("industry", V), ("number_of_employees", I), ("annual_revenue", F), ("lead_source", V),
        ("status", V), ("country", V), ("created_date", TS), ("is_converted", B), ("converted_date", D),
        ("converted_account_id", V), ("converted_contact_id", V), ("converted_opportunity_id", V),
        ("owner_id", V), ("is_deleted", B), ("last_modified_date", TS),
    ) + SYNCED + (("product_interest__c", V),),
    "salesforce.lead_history": (
        ("id", V), ("lead_id", V), ("field", V), ("old_value", V), ("new_value", V), ("created_date", TS),
        ("is_deleted", B),
    ) + SYNCED,
    "salesforce.account": (
        ("id", V), ("name", V), ("website", V), ("industry", V), ("number_of_employees", I),
        ("annual_revenue", F), ("billing_country", V), ("type", V), ("created_date", TS), ("is_deleted", B),
    ) + SYNCED,
    "salesforce.contact": (
        ("id", V), ("account_id", V), ("email", V), ("title", V), ("department", V), ("lead_source", V),
        ("created_date", TS), ("is_deleted", B),
    ) + SYNCED,
    "salesforce.opportunity": (
        ("id", V), ("account_id", V), ("name", V), ("amount", F), ("stage_name", V), ("is_closed", B),
        ("is_won", B), ("close_date", D), ("created_date", TS), ("lead_source", V), ("is_deleted", B),
    ) + SYNCED,
    "salesforce.task": (
        ("id", V), ("who_id", V), ("what_id", V), ("subject", V), ("task_subtype", V), ("status", V),
        ("activity_date", D), ("created_date", TS), ("is_deleted", B),
    ) + SYNCED,
    "salesforce.campaign": (
        ("id", V), ("name", V), ("type", V), ("start_date", D), ("is_deleted", B),
    ) + SYNCED,
    "salesforce.campaign_member": (
        ("id", V), ("campaign_id", V), ("lead_id", V), ("contact_id", V), ("status", V), ("has_responded", B),
        ("first_responded_date", D), ("created_date", TS), ("is_deleted", B),
    ) + SYNCED,
    "salesforce.lead_score_feedback": (
        ("id", V), ("lead_id", V), ("created_date", TS), ("verdict", V), ("note", V),
    ) + SYNCED,
    "segment.pages": (
        ("id", V), ("anonymous_id", V), ("user_id", V), ("timestamp", TS), ("path", V), ("url", V),
        ("title", V), ("referrer", V),
    ),
    "segment.tracks": (("id", V), ("anonymous_id", V), ("user_id", V), ("timestamp", TS), ("event", V)),
    "segment.identifies": (("id", V), ("anonymous_id", V), ("user_id", V), ("email", V), ("timestamp", TS)),
    "marketing.email_events": (
        ("id", V), ("email_address", V), ("email_campaign_id", V), ("event_type", V), ("occurred_at", TS),
    ),
    "signals.company_enrichment": (
        ("domain", V), ("employee_count", I), ("annual_revenue", F), ("industry", V), ("sub_industry", V),
        ("country", V), ("founded_year", I), ("tech_stack", V), ("enriched_at", TS),
    ),
    "signals.intent_surge": (("domain", V), ("topic", V), ("composite_score", F), ("week_start_date", D)),
    "product.trial_events": (
        ("id", V), ("email", V), ("account_domain", V), ("event_name", V), ("occurred_at", TS),
    ),
    "product.call_transcripts": (
        ("id", V), ("lead_id", V), ("contact_id", V), ("started_at", TS), ("duration_seconds", I),
        ("transcript", V),
    ),
    "truth.lead_conversion_probability": (
        ("lead_id", V), ("as_of_date", D), ("true_probability", F), ("is_worked", B),
        ("realized_path_probability", F),
    ),
    "truth.generator_run": (
        ("seed", I), ("leads", I), ("end_date", D), ("start_date", D), ("months", I), ("drift", B),
        ("chunk_leads", I), ("worked_leads", I), ("converted_leads", I), ("truth_rows", I),
        ("created_rows", I), ("table_rows", V), ("truth_draws", I), ("truth_definition", V),
        ("converted_unworked_leads", I), ("field_history", B),
    ),
}

OPTIONAL_TABLES: tuple[str, ...] = ("salesforce.lead_history",)

SCHEMAS: tuple[str, ...] = ("salesforce", "segment", "marketing", "signals", "product", "truth")
