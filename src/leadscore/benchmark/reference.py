"""The same job without the package, the way a data scientist would do it in a notebook: pandas and LightGBM.

``python -m leadscore.benchmark.reference --db RAW.duckdb --phases-out phases.jsonl`` reads the raw tables from
the DuckDB file into pandas, cleans them, stitches web visitors to leads, builds the same weekly lead-snapshot
spine with point-in-time labels, computes a similar feature set (activity counts over 7, 30 and 90 days per
measure, recency, velocity, decay, firmographics with the latest enrichment known, intent, calls, account
engagement), trains LightGBM on a time split with an embargo (the package's ``num_leaves`` grid and early
stopping), calibrates it with isotonic regression and scores the open leads with their top three factors from
``pred_contrib``, writing the scores back to the DuckDB file.

It is meant to be a fair, competent implementation: vectorized numpy and pandas, integer keys, the snapshot
window join done in lead batches so memory stays bounded. It leaves out what the package adds on top (three
model families, cross-fitted calibration choice, leakage and minimum-data guards, registry, reasons as
sentences, data tests), so it does somewhat less work. Each phase appends one JSON line (wall seconds and peak
RSS of the process during the phase) to ``--phases-out`` as soon as it ends, so a run stopped by a memory or
time limit still shows where it got to.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

HORIZON_DAYS = 90
INTERVAL_DAYS = 7
MAX_AGE_DAYS = 182
WINDOWS = (7, 30, 90)
GRID_ANCHOR = np.datetime64("2000-01-03", "D")
CLOSED_STATUSES = ("Converted", "Unqualified", "Closed - Converted", "Closed - Not Converted")
UNWORKED_STATUSES = ("Open", "New")
#: measure -> (activity source, activity types or None for all)
MEASURES = {
    "page_views": ("web_page", None),
    "pricing_page_views": ("web_page", ("pricing",)),
    "docs_page_views": ("web_page", ("docs",)),
    "case_study_page_views": ("web_page", ("case_study",)),
    "content_downloads": ("web_track", ("content_downloaded",)),
    "demo_requests": ("web_track", ("demo_requested",)),
    "email_opens": ("email", ("open",)),
    "email_clicks": ("email", ("click",)),
    "email_unsubscribes": ("email", ("unsubscribe",)),
    "webinar_attendances": ("campaign", ("webinar",)),
    "campaign_responses": ("campaign", None),
    "trial_events": ("trial", None),
    "trial_signups": ("trial", ("signup",)),
    "sales_touches": ("task", None),
}
ENGAGEMENT_SOURCES = ("web_page", "web_track", "email", "trial", "campaign")
PAGE_PREFIXES = {"pricing": ("/pricing", "/plans"), "docs": ("/docs", "/documentation", "/developers", "/api"),
                 "case_study": ("/customers", "/case-stud", "/case_stud")}
ICP_TECHNOLOGIES = ("snowflake", "databricks", "bigquery", "dbt", "fivetran", "segment", "salesforce", "looker",
                    "tableau", "aws")
SENIORITY_WORDS = (("c_level", ("chief", "ceo", "cto", "cfo", "cmo", "coo", "cio", "founder", "president")),
                   ("vp", ("vp", "vice")), ("director", ("director", "head")), ("manager", ("manager", "lead")))
PERSONAL_EMAIL_DOMAINS = frozenset(
    pd.read_csv(Path(__file__).resolve().parents[3] / "seeds" / "personal_email_domains.csv")["domain"])


# ---------------------------------------------------------------- measurement


class PhaseLog:
    """Wall time and peak RSS per phase, one JSON line each, written as soon as the phase ends."""

    def __init__(self, path: Path | None):
        self.path = path
        if path:
            path.write_text("")

    @contextmanager
    def phase(self, name: str):
        _reset_peak_rss()
        started = time.perf_counter()
        yield
        entry = {"phase": name, "wall_seconds": round(time.perf_counter() - started, 2),
                 "peak_rss_bytes": _peak_rss_bytes()}
        print(json.dumps(entry), flush=True)
        if self.path:
            with open(self.path, "a") as handle:
                handle.write(json.dumps(entry) + "\n")


def _reset_peak_rss() -> None:
    """Reset the kernel's high-water mark of this process (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _peak_rss_bytes() -> int:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ---------------------------------------------------------------- load and clean


def load_tables(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The raw tables the job needs, the columns it uses, as pandas."""
    queries = {
        "leads": "select id, email, title, website, industry, number_of_employees, annual_revenue, lead_source, "
                 "status, country, created_date, is_converted, converted_date, is_deleted, _fivetran_synced "
                 "from salesforce.lead",
        "tasks": "select id, who_id, task_subtype, activity_date, created_date, is_deleted from salesforce.task",
        "campaign_members": "select lead_id, campaign_id, has_responded, first_responded_date, created_date, "
                            "is_deleted from salesforce.campaign_member",
        "campaigns": "select id, type from salesforce.campaign",
        "opportunities": "select account_id, is_closed, is_won, close_date, created_date, is_deleted "
                         "from salesforce.opportunity",
        "accounts": "select id, website, type from salesforce.account",
        "identifies": 'select anonymous_id, user_id, email, "timestamp" from segment.identifies',
        "pages": 'select id, anonymous_id, user_id, "timestamp", path from segment.pages',
        "tracks": 'select id, anonymous_id, user_id, "timestamp", event from segment.tracks',
        "emails": "select email_address, event_type, occurred_at from marketing.email_events",
        "trials": "select email, account_domain, event_name, occurred_at from product.trial_events",
        "calls": "select lead_id, started_at, duration_seconds from product.call_transcripts",
        "enrichment": "select domain, employee_count, annual_revenue, industry, founded_year, tech_stack, "
                      "enriched_at from signals.company_enrichment",
        "intent": "select domain, topic, composite_score, week_start_date from signals.intent_surge",
    }
    return {name: con.sql(sql).df() for name, sql in queries.items()}


def _domain(values: pd.Series) -> pd.Series:
    text = values.str.lower().str.strip()
    text = text.str.replace(r"^https?://", "", regex=True).str.replace(r"^www\.", "", regex=True)
    return text.str.split("/").str[0]


def clean_leads(raw: pd.DataFrame) -> pd.DataFrame:
    """Latest synced row per lead id, not deleted, lower-case email, company domain (website, else a business
    email's domain), integer lead number."""
    leads = raw[~raw["is_deleted"].fillna(False).astype(bool)]
    leads = leads.sort_values("_fivetran_synced").drop_duplicates("id", keep="last").sort_values("id")
    leads = leads[leads["created_date"].notna()].reset_index(drop=True)
    leads["email"] = leads["email"].str.lower().str.strip()
    email_domain = leads["email"].str.split("@").str[-1]
    leads["is_personal_email"] = email_domain.isin(PERSONAL_EMAIL_DOMAINS)
    leads["domain"] = _domain(leads["website"]).fillna(email_domain.where(~leads["is_personal_email"]))
    leads["lead_number"] = np.arange(len(leads))
    leads["created_day"] = leads["created_date"].to_numpy().astype("datetime64[D]")
    return leads


# ---------------------------------------------------------------- activity


def web_identities(identifies: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """(identity, lead_number, identified_at): anonymous ids and user ids reach leads through identify emails."""
    ids = identifies.dropna(subset=["timestamp"]).copy()
    ids["email"] = ids["email"].str.lower().str.strip()
    user_emails = ids.dropna(subset=["user_id", "email"])[["user_id", "email", "timestamp"]]
    via_user = ids.dropna(subset=["anonymous_id", "user_id"])[["anonymous_id", "user_id", "timestamp"]].merge(
        user_emails, on="user_id", suffixes=("", "_user"))
    via_user["timestamp"] = via_user[["timestamp", "timestamp_user"]].max(axis=1)
    links = pd.concat([
        ids.dropna(subset=["anonymous_id", "email"])[["anonymous_id", "email", "timestamp"]]
        .rename(columns={"anonymous_id": "identity"}),
        user_emails.rename(columns={"user_id": "identity"}),
        via_user[["anonymous_id", "email", "timestamp"]].rename(columns={"anonymous_id": "identity"}),
    ])
    links = links.merge(leads[["email", "lead_number"]].dropna(subset=["email"]), on="email")
    return links.groupby(["identity", "lead_number"], as_index=False)["timestamp"].min()


def _stitch(events: pd.DataFrame, identities: pd.DataFrame) -> pd.DataFrame:
    """Events of every lead their anonymous or user id was identified as, known from the identify on."""
    parts = []
    for column in ("anonymous_id", "user_id"):
        matched = events.dropna(subset=[column]).merge(identities, left_on=column, right_on="identity",
                                                       suffixes=("", "_identified"))
        parts.append(matched)
    stitched = pd.concat(parts, ignore_index=True)
    stitched["known_at"] = np.maximum(stitched["timestamp"].to_numpy(), stitched["timestamp_identified"].to_numpy())
    return stitched.groupby(["id", "lead_number"], as_index=False).agg(
        kind=("kind", "first"), activity_at=("timestamp", "first"), known_at=("known_at", "min"))


def daily_activity(tables: dict[str, pd.DataFrame], leads: pd.DataFrame) -> pd.DataFrame:
    """One row per lead, activity day and known day with a count column per measure and engagement_events."""
    identities = web_identities(tables["identifies"], leads)
    pages = tables["pages"].copy()
    path = pages["path"].str.lower().fillna("")
    pages["kind"] = "other"
    for category, prefixes in PAGE_PREFIXES.items():
        pages.loc[path.str.startswith(prefixes) & (pages["kind"] == "other"), "kind"] = category
    pages = _stitch(pages[["id", "anonymous_id", "user_id", "timestamp", "kind"]], identities)
    pages["source"] = "web_page"
    tracks = tables["tracks"].rename(columns={"event": "kind"})
    tracks["kind"] = tracks["kind"].str.lower()
    tracks = _stitch(tracks[["id", "anonymous_id", "user_id", "timestamp", "kind"]], identities)
    tracks["source"] = "web_track"

    by_email = leads[["email", "lead_number"]].dropna(subset=["email"])
    emails = tables["emails"].assign(email=lambda f: f["email_address"].str.lower().str.strip()).merge(
        by_email, on="email")
    emails = emails[emails["event_type"].str.lower().isin(("open", "click", "unsubscribe"))]
    emails = pd.DataFrame({"lead_number": emails["lead_number"], "source": "email",
                           "kind": emails["event_type"].str.lower(), "activity_at": emails["occurred_at"],
                           "known_at": emails["occurred_at"]})
    trials = tables["trials"].assign(email=lambda f: f["email"].str.lower().str.strip()).merge(by_email, on="email")
    trials = pd.DataFrame({"lead_number": trials["lead_number"], "source": "trial",
                           "kind": trials["event_name"].str.lower(), "activity_at": trials["occurred_at"],
                           "known_at": trials["occurred_at"]})
    number_of = pd.Series(leads["lead_number"].to_numpy(), index=leads["id"].to_numpy())
    tasks = tables["tasks"][~tables["tasks"]["is_deleted"].fillna(False).astype(bool)]
    tasks = tasks.assign(lead_number=tasks["who_id"].map(number_of)).dropna(subset=["lead_number"])
    task_day = tasks["activity_date"].fillna(tasks["created_date"].dt.normalize())
    tasks = pd.DataFrame({"lead_number": tasks["lead_number"], "source": "task", "kind": "task",
                          "activity_at": pd.to_datetime(task_day),
                          "known_at": np.maximum(pd.to_datetime(task_day), tasks["created_date"].dt.normalize())})
    members = tables["campaign_members"]
    members = members[members["has_responded"].fillna(False).astype(bool)
                      & ~members["is_deleted"].fillna(False).astype(bool) & members["first_responded_date"].notna()]
    members = members.merge(tables["campaigns"], left_on="campaign_id", right_on="id", how="left")
    members = members.assign(lead_number=members["lead_id"].map(number_of)).dropna(subset=["lead_number"])
    responded = pd.to_datetime(members["first_responded_date"])
    campaigns = pd.DataFrame({"lead_number": members["lead_number"], "source": "campaign",
                              "kind": members["type"].str.lower().fillna("other"), "activity_at": responded,
                              "known_at": np.maximum(responded, members["created_date"].dt.normalize())})
    calls = tables["calls"].assign(lead_number=lambda f: f["lead_id"].map(number_of)).dropna(subset=["lead_number"])
    calls = pd.DataFrame({"lead_number": calls["lead_number"], "source": "call", "kind": "call",
                          "activity_at": calls["started_at"], "known_at": calls["started_at"]})

    columns = ["lead_number", "source", "kind", "activity_at", "known_at"]
    activity = pd.concat([frame[columns] for frame in (pages, tracks, emails, trials, tasks, campaigns, calls)],
                         ignore_index=True)
    activity = activity.dropna(subset=["activity_at"])
    activity["lead_number"] = activity["lead_number"].astype(np.int64)
    activity["activity_day"] = activity["activity_at"].to_numpy().astype("datetime64[D]")
    created = leads["created_day"].to_numpy()[activity["lead_number"].to_numpy()]
    activity["known_day"] = np.maximum(activity["known_at"].to_numpy().astype("datetime64[D]"), created)
    for name, (source, kinds) in MEASURES.items():
        hit = activity["source"] == source
        if kinds:
            hit &= activity["kind"].isin(kinds)
        activity[name] = hit.astype(np.int32)
    activity["engagement_events"] = activity["source"].isin(ENGAGEMENT_SOURCES).astype(np.int32)
    counts = list(MEASURES) + ["engagement_events"]
    return activity.groupby(["lead_number", "activity_day", "known_day"], as_index=False)[counts].sum()


# ---------------------------------------------------------------- spine


def snapshot_spine(leads: pd.DataFrame, tasks: pd.DataFrame, as_of: np.datetime64) -> pd.DataFrame:
    """Weekly training snapshots while open and at most MAX_AGE_DAYS old, plus a scoring row per open lead."""
    created = leads["created_day"].to_numpy().astype("datetime64[D]")
    first = GRID_ANCHOR + ((created - GRID_ANCHOR).astype(np.int64) // INTERVAL_DAYS + 1) * INTERVAL_DAYS
    converted = pd.to_datetime(leads["converted_date"]).to_numpy().astype("datetime64[D]")
    is_converted = leads["is_converted"].fillna(False).to_numpy(dtype=bool)
    per_lead = MAX_AGE_DAYS // INTERVAL_DAYS + 2
    lead_index = np.repeat(np.arange(len(leads)), per_lead)
    dates = first[lead_index] + np.tile(np.arange(per_lead) * INTERVAL_DAYS, len(leads)).astype("timedelta64[D]")
    keep = ((dates < as_of) & ((dates - created[lead_index]).astype(np.int64) <= MAX_AGE_DAYS)
            & (np.isnat(converted[lead_index]) | (converted[lead_index] >= dates))
            & ~(is_converted[lead_index] & np.isnat(converted[lead_index])))
    status = leads["status"].fillna("Open")
    is_open = ~is_converted & ~status.isin(CLOSED_STATUSES).to_numpy() & (created < as_of)
    worked = leads["id"].isin(tasks["who_id"].dropna()).to_numpy()
    never_worked = ~is_converted & ~worked & status.isin(UNWORKED_STATUSES).to_numpy()
    scoring = np.flatnonzero(is_open)
    spine = pd.DataFrame({
        "lead_number": np.concatenate([lead_index[keep], scoring]),
        "as_of": np.concatenate([dates[keep], np.full(len(scoring), as_of)]),
        "is_scoring_row": np.concatenate([np.zeros(int(keep.sum()), bool), np.ones(len(scoring), bool)]),
    })
    lead = spine["lead_number"].to_numpy()
    horizon_end = spine["as_of"].to_numpy() + np.timedelta64(HORIZON_DAYS, "D")
    mature = horizon_end <= as_of
    positive = (converted[lead] >= spine["as_of"].to_numpy()) & (converted[lead] < horizon_end)
    spine["label"] = np.where(mature, positive.astype(float), np.nan)
    spine["is_never_worked"] = never_worked[lead]
    return spine.sort_values(["lead_number", "as_of"], kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------- features


def _pair_indices(left_keys: np.ndarray, right_keys: np.ndarray, left_rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every (left row, right row) with equal keys, for the given left rows; right_keys must be sorted."""
    starts = np.searchsorted(right_keys, left_keys[left_rows], side="left")
    counts = np.searchsorted(right_keys, left_keys[left_rows], side="right") - starts
    left = np.repeat(left_rows, counts)
    offsets = np.arange(len(left)) - np.repeat(np.cumsum(counts) - counts, counts)
    return left, np.repeat(starts, counts) + offsets


def activity_features(spine: pd.DataFrame, daily: pd.DataFrame, batch_rows: int = 1_000_000) -> pd.DataFrame:
    """Window counts, recency, velocity and decay per snapshot: every snapshot paired with its lead's daily
    activity (index arrays, batches of snapshots so memory stays bounded), then summed with bincount."""
    measures = list(MEASURES)
    names = [f"{measure}_{window}d" for measure in measures for window in WINDOWS]
    extra = ["active_days_30d", "engagement_recent", "engagement_prior", "decayed_engagement",
             "days_since_last_engagement", "days_since_first_engagement", "days_since_last_sales_touch"]
    out = np.full((len(spine), len(names) + len(extra)), np.nan)
    out[:, : len(names) + 4] = 0.0
    daily = daily.sort_values(["lead_number", "activity_day", "known_day"], kind="mergesort")
    daily_lead = daily["lead_number"].to_numpy()
    known = daily["known_day"].to_numpy().astype("datetime64[D]")
    activity = daily["activity_day"].to_numpy().astype("datetime64[D]")
    values = daily[measures].to_numpy(dtype=np.float64)
    engaged_all = daily["engagement_events"].to_numpy(dtype=np.float64)
    touches = daily["sales_touches"].to_numpy() > 0
    spine_lead = spine["lead_number"].to_numpy()
    spine_as_of = spine["as_of"].to_numpy().astype("datetime64[D]")
    for start in range(0, len(spine), batch_rows):
        rows = np.arange(start, min(start + batch_rows, len(spine)))
        snapshot, row = _pair_indices(spine_lead, daily_lead, rows)
        keep = known[row] < spine_as_of[snapshot]
        snapshot, row = snapshot[keep], row[keep]
        age = (spine_as_of[snapshot] - activity[row]).astype(np.int64)
        code = snapshot - start
        size = len(rows)
        column = 0
        for measure_index in range(len(measures)):
            measure = values[row, measure_index]
            for window in WINDOWS:
                out[rows, column] = np.bincount(code, weights=measure * (age <= window), minlength=size)
                column += 1
        engaged = engaged_all[row]
        sums = [(engaged > 0) & (age <= 30), engaged * (age <= 14), engaged * ((age > 14) & (age <= 28)),
                engaged * 0.5 ** (age / 14)]
        for offset, weights in enumerate(sums):
            out[rows, column + offset] = np.bincount(code, weights=weights.astype(float), minlength=size)
        for offset, (mask, reduce) in enumerate(((engaged > 0, np.minimum), (engaged > 0, np.maximum),
                                                  (touches[row], np.minimum))):
            target = np.full(size, np.inf if reduce is np.minimum else -np.inf)
            reduce.at(target, code[mask], age[mask])
            out[rows, column + 4 + offset] = np.where(np.isfinite(target), target, np.nan)
    features = pd.DataFrame(out, columns=names + extra, index=spine.index)
    recent, prior = features["engagement_recent"], features["engagement_prior"]
    features["engagement_velocity"] = ((recent - prior) / (recent + prior).replace(0, np.nan)).fillna(0)
    return features


def firmographic_features(spine: pd.DataFrame, leads: pd.DataFrame, enrichment: pd.DataFrame) -> pd.DataFrame:
    """Lead fields, the latest enrichment fetched before the snapshot, title seniority, ICP technology matches."""
    lead = leads.iloc[spine["lead_number"].to_numpy()].reset_index(drop=True)
    keys = pd.DataFrame({"row": np.arange(len(spine)), "domain": lead["domain"].to_numpy(),
                         "as_of": spine["as_of"].to_numpy().astype("datetime64[us]")})
    enriched = enrichment.dropna(subset=["domain", "enriched_at"]).sort_values("enriched_at")
    enriched["enriched_at"] = enriched["enriched_at"].astype("datetime64[us]")
    keys = keys.dropna(subset=["domain"]).sort_values("as_of")
    latest = pd.merge_asof(keys, enriched, left_on="as_of", right_on="enriched_at", by="domain",
                           allow_exact_matches=False).set_index("row").reindex(np.arange(len(spine)))
    latest.index = lead.index
    title = " " + lead["title"].fillna("").str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True) + " "
    seniority = pd.Series("unknown", index=lead.index)
    for level, words in reversed(SENIORITY_WORDS):
        seniority[title.str.contains("|".join(f" {word} " for word in words))] = level
    stack = "," + latest["tech_stack"].fillna("").str.lower().str.replace(" ", "") + ","
    features = pd.DataFrame({
        "employee_count": lead["number_of_employees"].astype(float).fillna(latest["employee_count"].astype(float)),
        "annual_revenue": lead["annual_revenue"].astype(float).fillna(latest["annual_revenue"].astype(float)),
        "industry": lead["industry"].str.lower().fillna(latest["industry"].str.lower()),
        "seniority": seniority.to_numpy(),
        "lead_source": lead["lead_source"].str.lower().to_numpy(),
        "is_personal_email": lead["is_personal_email"].to_numpy(),
        "company_age_years": (pd.to_datetime(spine["as_of"]).dt.year.to_numpy()
                              - latest["founded_year"].to_numpy(dtype=float)),
        "tech_stack_icp_matches": sum(stack.str.contains(f",{tech},", regex=False).astype(int).to_numpy()
                                      for tech in ICP_TECHNOLOGIES),
        "lead_age_days": (spine["as_of"].to_numpy() - lead["created_day"].to_numpy()).astype(
            "timedelta64[D]").astype(int),
    })
    features.index = spine.index
    for column in ("industry", "seniority", "lead_source"):
        features[column] = features[column].astype("category")
    return features


def intent_features(spine: pd.DataFrame, leads: pd.DataFrame, intent: pd.DataFrame) -> pd.DataFrame:
    """Max, mean and surging topics of the domain's intent over the four weeks that ended before the snapshot."""
    domain = leads["domain"].to_numpy()[spine["lead_number"].to_numpy()]
    account_snapshots = pd.DataFrame({"domain": domain, "as_of": spine["as_of"].to_numpy()}).dropna().drop_duplicates()
    weekly = intent.assign(week=pd.to_datetime(intent["week_start_date"]).to_numpy().astype("datetime64[D]"))
    pairs = account_snapshots.merge(weekly, on="domain")
    age = (pairs["as_of"].to_numpy() - pairs["week"].to_numpy()).astype("timedelta64[D]").astype(int)
    pairs = pairs[(age >= 7) & (age <= 34)].assign(surging=lambda f: f["composite_score"] >= 60)
    summary = pairs.groupby(["domain", "as_of"]).agg(
        intent_max_score=("composite_score", "max"), intent_avg_score=("composite_score", "mean"),
        intent_surging_topics=("surging", "sum"))
    keys = pd.MultiIndex.from_arrays([domain, spine["as_of"].to_numpy()])
    features = summary.reindex(keys).reset_index(drop=True)
    features.index = spine.index
    features["intent_surging_topics"] = features["intent_surging_topics"].fillna(0)
    return features


def account_features(spine: pd.DataFrame, leads: pd.DataFrame, daily: pd.DataFrame,
                     batch_rows: int = 1_000_000) -> pd.DataFrame:
    """Leads known at the company, and its engaged leads and engagement over the 90 days before the snapshot."""
    domain_codes, _ = pd.factorize(leads["domain"])
    lead_domain = domain_codes[spine["lead_number"].to_numpy()]
    as_of = spine["as_of"].to_numpy().astype("datetime64[D]")
    snapshots = pd.DataFrame({"account": lead_domain, "as_of": as_of})
    snapshots = snapshots[snapshots["account"] >= 0].drop_duplicates().sort_values(["account", "as_of"])
    account = snapshots["account"].to_numpy()
    account_as_of = snapshots["as_of"].to_numpy().astype("datetime64[D]")
    created = pd.DataFrame({"account": domain_codes, "created": leads["created_date"].to_numpy()})
    created = created[created["account"] >= 0].sort_values(["account", "created"])
    created_at = created["created"].to_numpy().astype("datetime64[us]")
    # leads created before the snapshot: a searchsorted within each account's sorted creation times
    first = np.searchsorted(created["account"].to_numpy(), account, side="left")
    combined = created["account"].to_numpy().astype(np.int64) * 10**15 + created_at.astype(np.int64)
    known = np.searchsorted(combined, account.astype(np.int64) * 10**15
                            + account_as_of.astype("datetime64[us]").astype(np.int64), side="left") - first
    engaged = daily[daily["engagement_events"] > 0].assign(account=lambda f: domain_codes[f["lead_number"]])
    engaged = engaged[engaged["account"] >= 0].sort_values("account", kind="mergesort")
    engaged_account = engaged["account"].to_numpy()
    stakeholders = np.zeros(len(snapshots))
    events = np.zeros(len(snapshots))
    for start in range(0, len(snapshots), batch_rows):
        rows = np.arange(start, min(start + batch_rows, len(snapshots)))
        snapshot, row = _pair_indices(account, engaged_account, rows)
        age = (account_as_of[snapshot] - engaged["activity_day"].to_numpy()[row].astype("datetime64[D]")).astype(int)
        keep = ((engaged["known_day"].to_numpy()[row].astype("datetime64[D]") < account_as_of[snapshot])
                & (age >= 1) & (age <= 90))
        snapshot, row = snapshot[keep], row[keep]
        events += np.bincount(snapshot, weights=engaged["engagement_events"].to_numpy()[row].astype(float),
                              minlength=len(snapshots))
        distinct = np.unique(snapshot.astype(np.int64) * (int(leads["lead_number"].max()) + 1)
                             + engaged["lead_number"].to_numpy()[row])
        stakeholders += np.bincount(distinct // (int(leads["lead_number"].max()) + 1), minlength=len(snapshots))
    by_key = pd.DataFrame({"account_known_leads": known, "engaged_stakeholders_90d": stakeholders,
                           "account_engagement_events_90d": events},
                          index=pd.MultiIndex.from_arrays([account, account_as_of]))
    features = by_key.reindex(pd.MultiIndex.from_arrays([lead_domain, as_of])).reset_index(drop=True).fillna(0)
    features.index = spine.index
    return features


def call_features(spine: pd.DataFrame, leads: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """Calls and call minutes before the snapshot."""
    number_of = pd.Series(leads["lead_number"].to_numpy(), index=leads["id"].to_numpy())
    calls = calls.assign(lead_number=calls["lead_id"].map(number_of)).dropna(subset=["lead_number"])
    pairs = pd.DataFrame({"snapshot": np.arange(len(spine)), "lead_number": spine["lead_number"].to_numpy(),
                          "as_of": spine["as_of"].to_numpy().astype("datetime64[us]")}).merge(
        calls.astype({"lead_number": np.int64}), on="lead_number")
    pairs = pairs[pairs["started_at"] < pairs["as_of"]].assign(minutes=lambda f: f["duration_seconds"] / 60)
    summary = pairs.groupby("snapshot").agg(calls_total=("started_at", "size"),
                                            call_minutes_total=("minutes", "sum"))
    return summary.reindex(np.arange(len(spine))).fillna(0).set_axis(spine.index)


def build_features(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lead snapshot spine and one feature column per feature, same row order."""
    leads = clean_leads(tables["leads"])
    daily = daily_activity(tables, leads)
    latest = max(daily["activity_day"].max(), leads["created_day"].max())
    as_of = np.datetime64(latest, "D") + np.timedelta64(1, "D")
    spine = snapshot_spine(leads, tables["tasks"], as_of)
    features = pd.concat([
        activity_features(spine, daily),
        firmographic_features(spine, leads, tables["enrichment"]),
        intent_features(spine, leads, tables["intent"]),
        account_features(spine, leads, daily),
        call_features(spine, leads, tables["calls"]),
    ], axis=1)
    spine["lead_id"] = leads["id"].to_numpy()[spine["lead_number"].to_numpy()]
    return spine, features


# ---------------------------------------------------------------- model


def time_split(spine: pd.DataFrame, trainable: np.ndarray) -> np.ndarray:
    """0 train, 1 validation, 2 test, -1 unused: newest 15% of dates test, the 15% before validation, the rest
    train, with a gap of HORIZON_DAYS between parts so no label looks into the next part."""
    dates = spine["as_of"].to_numpy()
    counts = pd.Series(dates[trainable]).value_counts().sort_index()
    cumulative = counts[::-1].cumsum()[::-1] / counts.sum()
    test_start = counts.index[cumulative.to_numpy() <= 0.15][0]
    embargo = np.timedelta64(HORIZON_DAYS, "D")
    before = counts[counts.index <= test_start - embargo]
    cumulative = before[::-1].cumsum()[::-1] / counts.sum()
    validation_start = before.index[cumulative.to_numpy() <= 0.15][0]
    part = np.full(len(spine), -1)
    part[trainable & (dates >= test_start)] = 2
    part[trainable & (dates >= validation_start) & (dates <= test_start - embargo)] = 1
    part[trainable & (dates <= validation_start - embargo)] = 0
    return part


def train_and_score(spine: pd.DataFrame, features: pd.DataFrame, *, seed: int, log: PhaseLog,
                    con: duckdb.DuckDBPyConnection) -> dict:
    import lightgbm as lgb
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_auc_score

    with log.phase("training"):
        trainable = spine["label"].notna().to_numpy() & ~spine["is_never_worked"].to_numpy()
        part = time_split(spine, trainable)
        label = spine["label"].to_numpy()
        X = {name: features[part == code] for name, code in (("train", 0), ("validation", 1), ("test", 2))}
        y = {name: label[part == code] for name, code in (("train", 0), ("validation", 1), ("test", 2))}
        scale = (len(y["train"]) - y["train"].sum()) / max(y["train"].sum(), 1)
        best = None
        for leaves in (7, 15, 31):
            params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": leaves, "feature_fraction": 0.8,
                      "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "scale_pos_weight": scale,
                      "min_data_in_leaf": max(10, int(0.002 * len(y["train"]))), "num_threads": 2, "seed": seed,
                      "verbose": -1}
            booster = lgb.train(params, lgb.Dataset(X["train"], y["train"]), num_boost_round=2000,
                                valid_sets=[lgb.Dataset(X["validation"], y["validation"])],
                                callbacks=[lgb.early_stopping(50, verbose=False)])
            auc = roc_auc_score(y["validation"], booster.predict(X["validation"]))
            if best is None or auc > best[0]:
                best = (auc, booster)
        booster = best[1]
        calibration = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(
            booster.predict(X["validation"]), y["validation"])
        test_probability = calibration.predict(booster.predict(X["test"]))
        result = {"train_rows": int(len(y["train"])), "validation_rows": int(len(y["validation"])),
                  "test_rows": int(len(y["test"])), "validation_auc": round(float(best[0]), 4),
                  "test_auc": round(float(roc_auc_score(y["test"], test_probability)), 4),
                  "lead_snapshots": int(len(spine)), "features": int(features.shape[1])}
    with log.phase("scoring"):
        scoring = spine["is_scoring_row"].to_numpy()
        X_score = features[scoring]
        probability = calibration.predict(booster.predict(X_score))
        contributions = booster.predict(X_score, pred_contrib=True)[:, :-1]
        names = np.array(features.columns)
        order = np.argsort(-contributions, axis=1, kind="stable")
        scores = pd.DataFrame({"lead_id": spine.loc[scoring, "lead_id"].to_numpy(), "probability": probability,
                               "score": np.clip(1 + np.round(98 * pd.Series(probability).rank(pct=True)), 1, 99)})
        for rank in range(3):
            scores[f"reason_up_{rank + 1}"] = names[order[:, rank]]
            scores[f"reason_down_{rank + 1}"] = names[order[:, -1 - rank]]
        con.execute("create schema if not exists reference")
        con.register("reference_scores", scores)
        con.execute("create or replace table reference.lead_scores as select * from reference_scores")
        result["scored_leads"] = int(len(scores))
    return result


def run(db_path: Path, phases_out: Path | None, seed: int = 42) -> dict:
    log = PhaseLog(phases_out)
    con = duckdb.connect(str(db_path))
    try:
        with log.phase("load"):
            tables = load_tables(con)
        with log.phase("features"):
            spine, features = build_features(tables)
            del tables
        return train_and_score(spine, features, seed=seed, log=log, con=con)
    finally:
        con.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m leadscore.benchmark.reference",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="DuckDB file with the raw schemas (written to)")
    parser.add_argument("--phases-out", type=Path, help="JSON lines file, one line per finished phase")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    print(json.dumps({"result": run(args.db, args.phases_out, args.seed)}), flush=True)


if __name__ == "__main__":
    main()
