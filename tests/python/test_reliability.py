"""Reliability on damaged data: bad rows, reruns, two builds at once, interrupted training, privacy.

One generated dataset gets every kind of bad row a real CRM export holds (null and repeated ids, odd and malformed
emails, impossible numbers and dates, unknown categories, odd titles, binary and huge transcripts, a company
with two accounts), then is built the way a team builds it. Each bad row must be cleaned, or left out with a
reason in a *_rejected table, and no lead may disappear: leads in = scored + closed or converted + created after
the scoring date + rejected. The same warehouse is then built again (identical scores, no duplicate rows), built
by a second process while the first holds it (a clear refusal, the first completes), interrupted mid-training by
an exception and by SIGKILL (champion untouched, a rerun recovers), fed an export whose every lead date is
unparseable (the build stops naming the table, column and rule) and searched for personal data in every score
and CRM table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dbt_helpers import DBT, REPO_ROOT, copy_warehouse, generate, run_dbt

pytestmark = pytest.mark.integration  # runs dbt builds

LEADS = 1500
SEED = 23
NOW = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
SCORE_TABLES = ["lead_scores", "lead_score_history", "lead_score_alerts", "account_scores", "crm_lead_score_sync",
                "crm_lead_score_sync_full"]
PII_COLUMN_WORDS = ["email", "first_name", "last_name", "full_name", "phone", "transcript", "note"]
CANARY = {"first_name": "Zebulonqx", "last_name": "Quackenbushqx", "email_local": "zebulon.quackenbushqx",
          "transcript": "canarytranscriptqx"}


# ---------------------------------------------------------------------------------------------------------------
# warehouse access


def query(db_path: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        return connection.execute(sql, params or []).df()
    finally:
        connection.close()


def scalar(db_path: Path, sql: str, params: list | None = None):
    return query(db_path, sql, params).iloc[0, 0]


def execute(db_path: Path, statements: list[str]) -> None:
    connection = duckdb.connect(str(db_path))
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()


def dbt_env(db_path: Path) -> dict[str, str]:
    return {**os.environ, "LEADSCORE_DB": str(db_path), "DBT_PROFILES_DIR": str(REPO_ROOT),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "OMP_WAIT_POLICY": "passive"}


def start_dbt(args: list[str], db_path: Path, work_dir: Path,
              dbt_vars: dict | None = None) -> tuple[subprocess.Popen, Path]:
    """Start dbt in the background in its own process group, output to a file; returns the process and file."""
    work_dir.mkdir(parents=True, exist_ok=True)
    output = work_dir / f"dbt-{time.monotonic_ns()}.out"
    command = [str(DBT), *args, "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    with output.open("w") as sink:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=dbt_env(db_path), stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return process, output


def wait_for_output(process: subprocess.Popen, output: Path, text: str, timeout: float = 300) -> bool:
    """True once text appears in the running process's output; False if it ends or times out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in output.read_text(errors="replace"):
            return True
        if process.poll() is not None:
            return text in output.read_text(errors="replace")
        time.sleep(0.2)
    return False


# ---------------------------------------------------------------------------------------------------------------
# the damage: every kind of bad row, each aimed at its own open lead


@dataclass
class Damage:
    """Ids the damage touched, by case, for the checks."""

    leads: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)


def pick_open_leads(db_path: Path, n: int) -> list[str]:
    """Open, worked-or-not, never-duplicated leads created well before the end of the data, by id."""
    frame = query(db_path, """
        select id from salesforce.lead
        where status in ('Open', 'Working', 'Nurturing') and not is_converted and not is_deleted
            and created_date < timestamp '2026-05-01' and website is not null
            and id in (select id from salesforce.lead group by id having count(*) = 1)
        order by id
    """)
    assert len(frame) >= n, "the generated data has too few open leads for the damage"
    return list(frame["id"])[:n]


LEAD_CASES = [
    "null_id", "blank_id", "duplicate_same_load", "duplicate_newer_load", "email_odd_case", "email_no_at",
    "email_double_at", "email_no_domain", "email_no_local_part", "email_placeholder", "revenue_negative",
    "revenue_absurd", "employees_negative", "employees_absurd", "employees_zero", "revenue_as_text",
    "created_in_future", "created_before_1990", "created_unparseable", "status_closed_odd_case",
    "status_open_odd_case", "status_unknown", "industry_and_source_unknown", "title_emoji", "title_control_chars",
    "title_very_long", "title_non_latin_markup", "website_placeholder", "two_accounts", "privacy_canary",
    "transcript_very_long", "transcript_binary", "transcript_absurd_duration",
]


def damage_warehouse(db_path: Path) -> Damage:
    """Write the bad rows into the raw tables; returns which lead took which case."""
    picked = pick_open_leads(db_path, len(LEAD_CASES))
    damage = Damage(leads=dict(zip(LEAD_CASES, picked)))
    lead = damage.leads

    def copy_of(case: str, changes: str) -> str:
        """insert a copy of the case's lead with some columns changed ('col = expr, ...')."""
        replaced = ", ".join(f"{part.split('=', 1)[1].strip()} as {part.split('=', 1)[0].strip()}"
                             for part in changes.split(";"))
        columns = [part.split("=", 1)[0].strip() for part in changes.split(";")]
        return (f"insert into salesforce.lead by name select * exclude ({', '.join(columns)}), {replaced} "
                f"from salesforce.lead where id = '{lead[case]}'")

    def update(case: str, assignments: str) -> str:
        return f"update salesforce.lead set {assignments} where id = '{lead[case]}'"

    long_transcript = "budget approved " + "blah " * 60_000
    statements = [
        # raw columns that arrive as text or bytes from some loaders: the contract casts them safely
        "alter table salesforce.lead alter annual_revenue type varchar",
        "alter table salesforce.lead alter created_date type varchar",
        "alter table product.call_transcripts alter transcript type blob",
        # ids
        copy_of("null_id", "id = null; email = 'someone.without.id@nullid-corp.example'"),
        copy_of("blank_id", "id = '   '"),
        copy_of("duplicate_same_load", "title = 'Summer Intern'; company = 'Someone Else Ltd'"),
        copy_of("duplicate_newer_load",
                "title = 'Chief Executive Officer'; _fivetran_synced = _fivetran_synced + interval 1 day"),
        # emails
        update("email_odd_case", "email = '  ' || upper(email) || '  '"),
        update("email_no_at", "email = 'jane.doe.example.com'"),
        update("email_double_at", "email = 'jane@@example.com'"),
        update("email_no_domain", "email = 'jane@'"),
        update("email_no_local_part", "email = '@example.com'"),
        update("email_placeholder", "email = 'n/a'"),
        # numbers
        update("revenue_negative", "annual_revenue = '-5000000'"),
        update("revenue_absurd", "annual_revenue = '1e16'"),
        update("employees_negative", "number_of_employees = -10"),
        update("employees_absurd", "number_of_employees = 9000000000"),
        update("employees_zero", "number_of_employees = 0"),
        update("revenue_as_text", "annual_revenue = '1,2 M USD'"),
        # dates
        update("created_in_future", "created_date = '2099-01-01 09:00:00'"),
        update("created_before_1990", "created_date = '1970-01-01 00:00:00'"),
        update("created_unparseable", "created_date = 'last tuesday'"),
        # categories
        update("status_closed_odd_case", "status = '  CONVERTED'"),
        update("status_open_odd_case", "status = ' working '"),
        update("status_unknown", "status = 'Recycled'"),
        update("industry_and_source_unknown", "industry = 'Underwater Basket Weaving', lead_source = 'TikTok'"),
        # titles
        update("title_emoji", "title = '🚀 VP of Sales 🚀'"),
        update("title_control_chars", "title = 'Head of' || chr(9) || 'Data' || chr(10) || chr(0) || 'Engineering'"),
        update("title_very_long", "title = repeat('Director ', 400)"),
        update("title_non_latin_markup", "title = '<b>Директор</b> по продажам & 営業部長'"),
        update("website_placeholder", "website = 'n/a'"),
        # personal data that must never reach a score or CRM table
        update("privacy_canary", f"first_name = '{CANARY['first_name']}', last_name = '{CANARY['last_name']}', "
                                 f"email = '{CANARY['email_local']}@canarycorp.example'"),
        # a company with two accounts: the lead's website domain is on two account rows
        f"""insert into salesforce.account by name
            select 'two_accounts_dup_1' as id, 'Duplicate Account A' as name,
                   (select website from salesforce.lead where id = '{lead['two_accounts']}') as website,
                   'Software' as industry, 120 as number_of_employees, 2e7 as annual_revenue,
                   'United States' as billing_country, 'Prospect' as type,
                   timestamp '2024-01-01' as created_date, false as is_deleted,
                   timestamp '2026-06-01' as _fivetran_synced
            union all
            select 'two_accounts_dup_2', 'Duplicate Account B',
                   (select website from salesforce.lead where id = '{lead['two_accounts']}'),
                   'Retail', 90000, 5e9, 'Germany', 'Customer', timestamp '2023-01-01', false,
                   timestamp '2026-06-01'""",
        # web events
        """insert into segment.pages (id, anonymous_id, user_id, "timestamp", path, url, title, referrer) values
            (null, 'anon_bad_1', null, timestamp '2026-03-01 10:00:00', '/pricing', null, 'Pricing', null),
            ('   ', 'anon_bad_2', null, timestamp '2026-03-01 10:00:00', '/pricing', null, 'Pricing', null),
            ('bad_page_future', 'anon_bad_3', null, timestamp '2099-01-01 10:00:00', '/pricing', null, null, null),
            ('bad_page_1985', 'anon_bad_4', null, timestamp '1985-01-01 10:00:00', '/pricing', null, null, null)""",
        """insert into segment.tracks (id, anonymous_id, user_id, "timestamp", event) values
            ('bad_track_future', 'anon_bad_5', null, timestamp '2098-05-05 10:00:00', 'demo_requested')""",
        # sales tasks: no id, created in the future, and a legitimate touch due next year
        f"""insert into salesforce.task (id, who_id, subject, task_subtype, status, activity_date, created_date,
                is_deleted, _fivetran_synced) values
            (null, '{lead['status_unknown']}', 'Call', 'Call', 'Completed', date '2026-03-01',
             timestamp '2026-03-01 09:00:00', false, timestamp '2026-06-01'),
            ('bad_task_future', '{lead['status_unknown']}', 'Call', 'Call', 'Completed', date '2099-01-01',
             timestamp '2099-01-01 09:00:00', false, timestamp '2026-06-01'),
            ('task_due_next_year', '{lead['status_unknown']}', 'Follow up', 'Call', 'Not Started',
             date '{NOW.year + 1}-01-15', timestamp '2026-06-15 09:00:00', false, timestamp '2026-06-16')""",
        # email events with odd-case addresses
        """update marketing.email_events set email_address = ' ' || upper(email_address) || ' '
            where id in (select id from marketing.email_events order by id limit 20)""",
        # transcripts: huge, binary (not UTF-8), control characters, negative duration
        f"""insert into product.call_transcripts (id, lead_id, contact_id, started_at, duration_seconds, transcript)
            values
            ('bad_call_long', '{lead['transcript_very_long']}', null, timestamp '2026-06-01 10:00:00', 600,
             cast('{long_transcript}' as blob)),
            ('bad_call_binary', '{lead['transcript_binary']}', null, timestamp '2026-06-01 10:00:00', -5,
             '\\xFF\\xFE\\x00 our timeline is next quarter \\xC3\\x28'::blob),
            ('bad_call_duration', '{lead['transcript_absurd_duration']}', null, timestamp '2026-06-01 10:00:00',
             99999999, cast('we use a spreadsheet today' as blob)),
            ('bad_call_canary', '{lead['privacy_canary']}', null, timestamp '2026-06-01 10:00:00', 300,
             cast('{CANARY['transcript']} our budget is approved' as blob))""",
        # trial, enrichment, intent, deals
        """insert into product.trial_events (id, email, account_domain, event_name, occurred_at) values
            ('bad_trial_future', 'someone@example.com', 'example.com', 'signup', timestamp '2099-02-02 10:00:00')""",
        """insert into signals.company_enrichment (domain, employee_count, annual_revenue, industry, sub_industry,
                country, founded_year, tech_stack, enriched_at) values
            ('n/a', 50, 1e6, 'Software', null, 'France', 2001, 'dbt', timestamp '2026-01-01'),
            ('negative-employees.example', -40, -1e6, 'Software', null, 'France', 3050, 'dbt',
             timestamp '2026-01-01')""",
        """insert into signals.intent_surge (domain, topic, composite_score, week_start_date) values
            ('out-of-scale.example', 'data warehouse', 250, date '2026-05-04')""",
        """update salesforce.opportunity set amount = -1000
            where id = (select min(id) from salesforce.opportunity where amount is not null)""",
    ]
    execute(db_path, statements)
    damage.extra["negative_amount_opportunity"] = scalar(
        db_path, "select id from salesforce.opportunity where amount = -1000")
    return damage


# ---------------------------------------------------------------------------------------------------------------
# fixtures: one damaged warehouse, built while a second build tries to take it


@dataclass
class Built:
    db_path: Path
    work_dir: Path
    damage: Damage
    first: subprocess.CompletedProcess | None = None
    first_pid: int = 0
    second_via_wrapper: subprocess.CompletedProcess | None = None
    second_plain: subprocess.CompletedProcess | None = None


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    work_dir = tmp_path_factory.mktemp("reliability")
    db_path = work_dir / "damaged.duckdb"
    generate(db_path, leads=LEADS, seed=SEED)
    damage = damage_warehouse(db_path)
    result = Built(db_path, work_dir, damage)

    # the first build takes the file; a second one, through the wrapper and plain, must be refused meanwhile
    process, output = start_dbt(["build"], db_path, work_dir / "first")
    result.first_pid = process.pid
    try:
        assert wait_for_output(process, output, " START "), output.read_text()[-3000:]
        result.second_via_wrapper = subprocess.run(
            [sys.executable, "-m", "leadscore.reliability", "build", "--target-path", str(work_dir / "second" / "t")],
            cwd=REPO_ROOT, env=dbt_env(db_path), capture_output=True, text=True, timeout=300)
        result.second_plain = run_dbt(["build"], db_path, work_dir / "second", expect_success=False)
        returncode = process.wait(timeout=1200)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    result.first = subprocess.CompletedProcess(process.args, returncode, output.read_text(errors="replace"), "")
    assert returncode == 0, result.first.stdout[-6000:]
    return result


def run_results(work_dir: Path) -> dict[str, str]:
    """Node id -> status of the last dbt invocation that used work_dir as its target path."""
    results = json.loads((work_dir / "target" / "run_results.json").read_text())
    return {entry["unique_id"]: entry["status"] for entry in results["results"]}


# ---------------------------------------------------------------------------------------------------------------
# bad rows: each one cleaned, or rejected with a reason


def stg_lead(db_path: Path, lead_id: str) -> pd.Series:
    frame = query(db_path, "select * from analytics.int_leads_classified where lead_id = ?", [lead_id])
    assert len(frame) == 1, f"lead {lead_id} kept {len(frame)} times"
    return frame.iloc[0]


def rejected_reasons(db_path: Path, lead_id: str) -> list[str]:
    return sorted(query(db_path, "select rejection_reason from analytics.stg_salesforce__leads_rejected "
                                 "where lead_id = ?", [lead_id])["rejection_reason"])


def score_rows(db_path: Path, lead_id: str) -> int:
    return int(scalar(db_path, "select count(*) from analytics.lead_scores where lead_id = ?", [lead_id]))


def check_kept_and_scored(b: Built, case: str) -> pd.Series:
    lead_id = b.damage.leads[case]
    assert score_rows(b.db_path, lead_id) == 1, f"{case}: lead {lead_id} not scored exactly once"
    return stg_lead(b.db_path, lead_id)


def check_rejected(b: Built, case: str, reason: str) -> None:
    lead_id = b.damage.leads[case]
    assert rejected_reasons(b.db_path, lead_id) == [reason]
    assert scalar(b.db_path, "select count(*) from analytics.stg_salesforce__leads where lead_id = ?", [lead_id]) == 0
    assert score_rows(b.db_path, lead_id) == 0


def check_email_nulled(b: Built, case: str) -> None:
    lead = check_kept_and_scored(b, case)
    assert pd.isna(lead["email"]) and pd.isna(lead["email_domain"])


def check_missing_ids(b: Built) -> None:
    rows = query(b.db_path, "select source_table, count(*) as n from analytics.int_source_rows_rejected "
                            "where rejection_reason = 'missing_id' group by 1")
    counts = dict(zip(rows["source_table"], rows["n"]))
    assert counts == {"salesforce.lead": 2, "segment.pages": 2, "salesforce.task": 1}
    assert scalar(b.db_path, "select count(*) from analytics.stg_salesforce__leads_rejected "
                             "where rejection_reason = 'missing_id' and nullif(trim(lead_id), '') is null") == 2


def check_duplicate_same_load(b: Built) -> None:
    lead_id = b.damage.leads["duplicate_same_load"]
    check_kept_and_scored(b, "duplicate_same_load")
    assert rejected_reasons(b.db_path, lead_id) == ["duplicate_id_same_load"]


def check_duplicate_newer_load(b: Built) -> None:
    lead_id = b.damage.leads["duplicate_newer_load"]
    lead = check_kept_and_scored(b, "duplicate_newer_load")
    assert lead["title"] == "Chief Executive Officer" and lead["seniority"] == "c_level"
    assert rejected_reasons(b.db_path, lead_id) == ["duplicate_id_older_load"]


def check_email_odd_case(b: Built) -> None:
    lead_id = b.damage.leads["email_odd_case"]
    lead = check_kept_and_scored(b, "email_odd_case")
    raw = scalar(b.db_path, "select email from salesforce.lead where id = ?", [lead_id])
    assert lead["email"] == raw.strip().lower() and lead["email"] != raw


def check_number_nulled(b: Built, case: str, column: str) -> None:
    assert pd.isna(check_kept_and_scored(b, case)[column])


def check_revenue_as_text(b: Built) -> None:
    check_number_nulled(b, "revenue_as_text", "annual_revenue")
    # the text column still parses for every other lead
    parsed = query(b.db_path, """
        select count(annual_revenue) as kept, (select count(try_cast(annual_revenue as double))
            from salesforce.lead where try_cast(annual_revenue as double) between 0 and 1e12) as raw
        from analytics.stg_salesforce__leads""")
    assert parsed["kept"].iloc[0] > 0.9 * parsed["raw"].iloc[0]


def check_status(b: Built, case: str, expected: str, scored: bool) -> None:
    lead_id = b.damage.leads[case]
    assert stg_lead(b.db_path, lead_id)["lead_status"] == expected
    assert score_rows(b.db_path, lead_id) == (1 if scored else 0)


def check_title(b: Built, case: str, expected: str | None = None, seniority: str | None = None,
                max_length: int | None = None) -> None:
    lead = check_kept_and_scored(b, case)
    if expected is not None:
        assert lead["title"] == expected
    if seniority is not None:
        assert lead["seniority"] == seniority
    if max_length is not None:
        assert len(lead["title"]) == max_length


def check_website_placeholder(b: Built) -> None:
    lead = check_kept_and_scored(b, "website_placeholder")
    assert pd.isna(lead["website_domain"])
    assert lead["company_domain"] != "n/a" or pd.isna(lead["company_domain"])


def check_two_accounts(b: Built) -> None:
    lead = check_kept_and_scored(b, "two_accounts")
    domain = lead["company_domain"]
    assert scalar(b.db_path, "select count(*) from analytics.stg_salesforce__accounts where website_domain = ?",
                  [domain]) >= 2
    assert scalar(b.db_path, "select count(*) from analytics.account_scores where account_domain = ?", [domain]) == 1
    assert scalar(b.db_path, """select count(*) from analytics.lead_account_features
                                where lead_id = ? group by as_of_date order by 1 desc limit 1""",
                  [lead["lead_id"]]) == 1


def check_future_and_ancient_events(b: Built) -> None:
    rows = query(b.db_path, """select source_table, row_key, rejection_reason from analytics.int_source_rows_rejected
                               where row_key like 'bad_%' order by row_key""")
    assert dict(zip(rows["row_key"], rows["rejection_reason"])) == {
        "bad_page_1985": "timestamp_out_of_range",
        "bad_page_future": "timestamp_out_of_range",
        "bad_task_future": "created_date_out_of_range",
        "bad_track_future": "timestamp_out_of_range",
        "bad_trial_future": "occurred_at_out_of_range",
    }


def check_scoring_date_not_moved(b: Built) -> None:
    """No row in the future moves the scoring date: it is the day after the latest plausible event."""
    latest = scalar(b.db_path, """
        select max(t) from (
            select try_cast(created_date as timestamp) as t from salesforce.lead
            union all select "timestamp" from segment.pages union all select "timestamp" from segment.tracks
            union all select occurred_at from marketing.email_events
            union all select occurred_at from product.trial_events
            union all select created_date from salesforce.task
        ) where t <= current_timestamp""")
    as_of = scalar(b.db_path, "select scoring_as_of_date from analytics.int_run_dates")
    assert pd.Timestamp(as_of).date() == pd.Timestamp(latest).date() + dt.timedelta(days=1)


def check_task_due_next_year_kept(b: Built) -> None:
    due = scalar(b.db_path, "select activity_date from analytics.stg_salesforce__tasks "
                            "where task_id = 'task_due_next_year'")
    assert pd.Timestamp(due).year == NOW.year + 1


def check_email_events_odd_case(b: Built) -> None:
    mismatched = scalar(b.db_path, """
        select count(*) from marketing.email_events as raw
        inner join analytics.stg_marketing__email_events as stg on raw.id = stg.email_event_id
        where raw.email_address != lower(raw.email_address) and stg.email != lower(trim(raw.email_address))""")
    odd = scalar(b.db_path, "select count(*) from marketing.email_events where email_address like ' %'")
    assert odd == 20 and mismatched == 0


def transcript(b: Built, transcript_id: str) -> pd.Series:
    frame = query(b.db_path, """
        select stg.transcript, stg.duration_seconds, tagged.mentions_budget, tagged.mentions_timeline,
               tagged.mentions_pain_point
        from analytics.stg_product__call_transcripts as stg
        inner join analytics.int_call_transcripts_tagged as tagged using (transcript_id)
        where stg.transcript_id = ?""", [transcript_id])
    assert len(frame) == 1
    return frame.iloc[0]


def check_transcript_very_long(b: Built) -> None:
    row = transcript(b, "bad_call_long")
    assert len(row["transcript"]) == 100_000 and row["mentions_budget"] == 1
    assert score_rows(b.db_path, b.damage.leads["transcript_very_long"]) == 1


def check_transcript_binary(b: Built) -> None:
    row = transcript(b, "bad_call_binary")
    assert "timeline is next quarter" in row["transcript"] and row["mentions_timeline"] == 1
    assert pd.isna(row["duration_seconds"])
    assert score_rows(b.db_path, b.damage.leads["transcript_binary"]) == 1
    # the other transcripts, now bytes in the raw table, still read and tag
    assert scalar(b.db_path, "select count(*) from analytics.int_call_transcripts_tagged "
                             "where mentions_pain_point + mentions_budget > 0") > 100


def check_transcript_absurd_duration(b: Built) -> None:
    row = transcript(b, "bad_call_duration")
    assert row["mentions_pain_point"] == 1 and pd.isna(row["duration_seconds"])


def check_signals_and_deals(b: Built) -> None:
    reasons = query(b.db_path, """select rejection_reason from analytics.int_source_rows_rejected
                                  where source_table = 'signals.company_enrichment'""")
    assert list(reasons["rejection_reason"]) == ["missing_domain"]
    enrichment = query(b.db_path, """select employee_count, annual_revenue, founded_year
                                     from analytics.stg_signals__company_enrichment
                                     where domain = 'negative-employees.example'""")
    assert enrichment.isna().all(axis=None)
    assert pd.isna(scalar(b.db_path, "select composite_score from analytics.stg_signals__intent_surge "
                                     "where domain = 'out-of-scale.example'"))
    assert pd.isna(scalar(b.db_path, "select amount from analytics.stg_salesforce__opportunities "
                                     "where opportunity_id = ?", [b.damage.extra["negative_amount_opportunity"]]))


BAD_ROW_CHECKS: dict[str, Callable[[Built], None]] = {
    "lead ids missing or blank: rejected missing_id (leads, pages, tasks)": check_missing_ids,
    "lead id repeated, same load, other content: one kept, other rejected": check_duplicate_same_load,
    "lead id repeated in a newer load: newest kept, older rejected": check_duplicate_newer_load,
    "email in odd case and spaces: lower-cased and trimmed": check_email_odd_case,
    "email without @: null": lambda b: check_email_nulled(b, "email_no_at"),
    "email with @@: null": lambda b: check_email_nulled(b, "email_double_at"),
    "email without domain: null": lambda b: check_email_nulled(b, "email_no_domain"),
    "email without local part: null": lambda b: check_email_nulled(b, "email_no_local_part"),
    "email placeholder n/a: null": lambda b: check_email_nulled(b, "email_placeholder"),
    "revenue negative: null": lambda b: check_number_nulled(b, "revenue_negative", "annual_revenue"),
    "revenue absurd (1e16): null": lambda b: check_number_nulled(b, "revenue_absurd", "annual_revenue"),
    "revenue as text '1,2 M USD': null, the column still parses": check_revenue_as_text,
    "employees negative: null": lambda b: check_number_nulled(b, "employees_negative", "number_of_employees"),
    "employees absurd (9e9): null": lambda b: check_number_nulled(b, "employees_absurd", "number_of_employees"),
    "employees zero: null": lambda b: check_number_nulled(b, "employees_zero", "number_of_employees"),
    "lead created in 2099: rejected": lambda b: check_rejected(b, "created_in_future", "created_date_out_of_range"),
    "lead created in 1970: rejected": lambda b: check_rejected(b, "created_before_1990", "created_date_out_of_range"),
    "lead created 'last tuesday': rejected": lambda b: check_rejected(b, "created_unparseable", "missing_created_date"),
    "status '  CONVERTED': canonical Converted, closed": lambda b: check_status(
        b, "status_closed_odd_case", "Converted", scored=False),
    "status ' working ': canonical Working, scored": lambda b: check_status(
        b, "status_open_odd_case", "Working", scored=True),
    "status unknown 'Recycled': kept, scored as open": lambda b: check_status(
        b, "status_unknown", "Recycled", scored=True),
    "industry and lead source unknown: scored": lambda b: check_kept_and_scored(b, "industry_and_source_unknown"),
    "title with emoji: classified": lambda b: check_title(b, "title_emoji", "🚀 VP of Sales 🚀", seniority="vp"),
    "title with tab, newline, NUL: cleaned": lambda b: check_title(
        b, "title_control_chars", "Head of Data Engineering"),
    "title of 3,600 characters: cut to 255": lambda b: check_title(b, "title_very_long", max_length=255),
    "title in Cyrillic and Japanese with markup: kept": lambda b: check_title(
        b, "title_non_latin_markup", "<b>Директор</b> по продажам & 営業部長"),
    "website placeholder n/a: no company domain from it": check_website_placeholder,
    "a company with two accounts: one account row, lead scored once": check_two_accounts,
    "rows dated 2099 or 1985 (pages, tracks, tasks, trials): rejected": check_future_and_ancient_events,
    "rows in the future do not move the scoring date": check_scoring_date_not_moved,
    "task due next year: kept (a planned touch)": check_task_due_next_year_kept,
    "email events with odd-case addresses: matched lower-cased": check_email_events_odd_case,
    "transcript of 300,000 characters: cut to 100,000, still tagged": check_transcript_very_long,
    "transcript in bytes that are not UTF-8: read, tagged": check_transcript_binary,
    "call of 99,999,999 seconds or negative: duration null": check_transcript_absurd_duration,
    "enrichment, intent and deals: placeholder domain rejected, impossible numbers null": check_signals_and_deals,
}


@pytest.mark.parametrize("case", list(BAD_ROW_CHECKS))
def test_bad_row_is_cleaned_or_rejected_with_a_reason(built, case):
    BAD_ROW_CHECKS[case](built)


CLOSED_STATUSES = ("Converted", "Unqualified", "Closed - Converted", "Closed - Not Converted")


def lead_ledger(db_path: Path) -> dict[str, set[str] | int]:
    """Every raw lead and the one thing that happened to it, read from the warehouse."""

    def ids(sql: str) -> set[str]:
        return set(query(db_path, sql).iloc[:, 0])

    closed = ", ".join(f"'{status}'" for status in CLOSED_STATUSES)
    return {
        "leads_in": ids("select distinct id from salesforce.lead where nullif(trim(id), '') is not null"),
        "rows_without_id": int(scalar(db_path, "select count(*) from salesforce.lead "
                                               "where nullif(trim(id), '') is null")),
        "scored": ids("select lead_id from analytics.lead_scores"),
        "closed_or_converted": ids(f"select lead_id from analytics.stg_salesforce__leads "
                                   f"where is_converted or lead_status in ({closed})"),
        "created_after_as_of_date": ids(f"""
            select lead_id from analytics.stg_salesforce__leads, analytics.int_run_dates
            where created_at >= cast(scoring_as_of_date as timestamp)
                and not is_converted and lead_status not in ({closed})"""),
        "rejected": ids("select lead_id from analytics.stg_salesforce__leads_rejected "
                        "where is_latest_load and nullif(trim(lead_id), '') is not null"),
        "rejected_without_id": int(scalar(db_path, "select count(*) from analytics.stg_salesforce__leads_rejected "
                                                   "where rejection_reason = 'missing_id'")),
    }


def test_no_lead_silently_disappears(built):
    """leads in = scored + closed or converted + created after the scoring date + rejected with a reason."""
    ledger = lead_ledger(built.db_path)
    outcomes = ["scored", "closed_or_converted", "created_after_as_of_date", "rejected"]
    for index, first in enumerate(outcomes):
        for second in outcomes[index + 1:]:
            assert not ledger[first] & ledger[second], f"leads both {first} and {second}"
    assert set().union(*(ledger[name] for name in outcomes)) == ledger["leads_in"]
    assert ledger["rows_without_id"] == ledger["rejected_without_id"] == 2
    leads_in = len(ledger["leads_in"]) + ledger["rows_without_id"]
    assert leads_in == sum(len(ledger[name]) for name in outcomes) + ledger["rejected_without_id"]
    assert len(ledger["scored"]) > 300 and len(ledger["rejected"]) >= 3
    assert run_results(built.work_dir / "first")["test.lead_scoring.assert_every_lead_accounted_for"] == "pass"


def test_rejected_tables_hold_ids_and_reasons_only(built):
    for table in ["stg_salesforce__leads_rejected", "int_source_rows_rejected"]:
        columns = list(query(built.db_path, f"select * from analytics.{table} limit 0").columns)
        assert not [c for c in columns if any(word in c for word in PII_COLUMN_WORDS)], (table, columns)
        assert scalar(built.db_path, f"select count(*) from analytics.{table} where rejection_reason is null") == 0


# ---------------------------------------------------------------------------------------------------------------
# two builds at once


def test_a_second_build_on_a_busy_warehouse_is_refused_clearly(built):
    wrapper = built.second_via_wrapper
    message = wrapper.stderr
    assert wrapper.returncode == 75, wrapper.stdout[-2000:] + wrapper.stderr[-2000:]
    assert f"the warehouse file {built.db_path} is in use by another process (pid {built.first_pid}" in message
    plain = built.second_plain
    assert plain.returncode != 0
    assert "Could not set lock on file" in plain.stdout and f"PID {built.first_pid}" in plain.stdout


def test_the_first_build_completes_while_refusing_the_second(built):
    assert built.first.returncode == 0
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0 SKIP=0", built.first.stdout)


# ---------------------------------------------------------------------------------------------------------------
# reruns and interruptions


def scores(db_path: Path) -> pd.DataFrame:
    return query(db_path, "select * exclude (scored_at) from analytics.lead_scores order by lead_id")


def state(db_path: Path) -> dict[str, object]:
    """What an interruption must not touch: registry, champion, scores."""
    return {
        "registry": query(db_path, "select model_version, status, is_promoted from analytics.ml_model_registry "
                                   "order by model_version"),
        "champion": query(db_path, "select model_version, scoring_method, model_json from analytics.ml_champion_model"),
        "scores": scores(db_path),
        "history_rows": scalar(db_path, "select count(*) from analytics.lead_score_history"),
    }


def assert_same_state(before: dict, after: dict) -> None:
    for key in ("registry", "champion", "scores"):
        pd.testing.assert_frame_equal(before[key], after[key], obj=key)
    assert before["history_rows"] == after["history_rows"]


def test_rebuild_gives_identical_scores_and_no_duplicate_rows(built):
    db = built.db_path
    before = state(db)
    rejected_before = query(db, "select * from analytics.int_source_rows_rejected order by all")
    run_dbt(["build"], db, built.work_dir / "first")  # the first build's target: dbt reuses its parse
    assert_same_state(before, state(db))
    rejected_after = query(db, "select * from analytics.int_source_rows_rejected order by all")
    pd.testing.assert_frame_equal(rejected_before, rejected_after)
    assert scalar(db, "select count(*) from analytics.crm_lead_score_sync") == 0
    duplicates = scalar(db, """select count(*) from (select lead_id, score_fingerprint from analytics.lead_score_history
                               group by 1, 2 having count(*) > 1)""")
    assert duplicates == 0
    assert list(before["registry"]["status"]) == ["trained"]


@pytest.fixture(scope="module")
def interrupted(built) -> dict[str, object]:
    """A copy of the built warehouse whose forced retrain is interrupted twice, then rerun."""
    work_dir = built.work_dir / "interrupted"
    work_dir.mkdir()
    db = copy_warehouse(built.db_path, work_dir / "interrupted.duckdb")
    outcome: dict[str, object] = {"db": db, "before": state(db)}

    # only the registry and what depends on it are rebuilt: everything upstream is unchanged from the first build
    from_registry = ["build", "--select", "ml_model_registry+"]

    # 1. training raises mid-way: the leakage guard rejects every feature (after loading and splitting the data)
    outcome["raised"] = run_dbt(from_registry, db, work_dir / "raised", {"retrain": True, "leakage_auc_threshold": 0.5},
                                expect_success=False)
    outcome["after_raise"] = state(db)

    # 2. the process is killed while the registry model trains
    process, output = start_dbt(from_registry, db, work_dir / "killed", {"retrain": True})
    try:
        started = wait_for_output(process, output, "START python incremental model analytics.ml_model_registry")
        time.sleep(3)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    outcome["killed_output"] = output.read_text(errors="replace")
    outcome["killed_mid_training"] = started
    outcome["after_kill"] = state(db)

    # 3. the same command, run again, completes
    outcome["recovered"] = run_dbt(from_registry, db, work_dir / "killed", {"retrain": True}, expect_success=False)
    return outcome


def test_training_that_raises_leaves_the_champion_untouched(interrupted):
    raised = interrupted["raised"]
    assert raised.returncode == 1
    assert "ml_model_registry" in raised.stdout and "LeakageError" in raised.stdout
    assert_same_state(interrupted["before"], interrupted["after_raise"])


def test_training_killed_mid_way_leaves_the_champion_untouched(interrupted):
    output = interrupted["killed_output"]
    assert interrupted["killed_mid_training"], output[-3000:]
    assert "OK created python incremental model analytics.ml_model_registry" not in output
    assert_same_state(interrupted["before"], interrupted["after_kill"])


def test_a_rerun_after_interruptions_recovers(interrupted):
    recovered = interrupted["recovered"]
    assert recovered.returncode == 0, recovered.stdout[-6000:]
    db = interrupted["db"]
    registry = query(db, "select model_version, status from analytics.ml_model_registry order by trained_at")
    assert list(registry["status"]) == ["trained", "trained"] and registry["model_version"].is_unique
    champion = scalar(db, "select model_version from analytics.ml_champion_model")
    assert champion in set(registry["model_version"])
    assert scalar(db, "select count(*) - count(distinct lead_id) from analytics.lead_scores") == 0
    assert scalar(db, "select count(*) from analytics.lead_scores") == len(interrupted["before"]["scores"])


# ---------------------------------------------------------------------------------------------------------------
# an export that breaks every row stops the build, naming the table, column and rule


def test_an_export_with_no_usable_lead_dates_stops_the_build(built):
    work_dir = built.work_dir / "broken_export"
    work_dir.mkdir()
    db = copy_warehouse(built.db_path, work_dir / "broken.duckdb")
    scores_before = scores(db)
    execute(db, ["update salesforce.lead set created_date = strftime(try_cast(created_date as timestamp), '%d/%m/%Y')"])
    result = run_dbt(["build"], db, work_dir, expect_success=False)
    assert result.returncode == 1
    assert "stg_salesforce__leads__created_at__too_many_raw_rows_without_a_plausible_created_date" in result.stdout
    statuses = run_results(work_dir)
    assert statuses["model.lead_scoring.lead_scores"] == "skipped"
    # the last good scores stay where the CRM sync and dashboards read them
    pd.testing.assert_frame_equal(scores_before, scores(db))


# ---------------------------------------------------------------------------------------------------------------
# privacy


def test_score_and_sync_tables_carry_no_personal_data(built):
    db = built.db_path
    tables = SCORE_TABLES + [name for name in query(db, """
        select table_name from information_schema.tables
        where table_schema = 'analytics' and table_name like 'crm%'""")["table_name"] if name not in SCORE_TABLES]
    raw_emails = set(query(db, "select distinct lower(trim(email)) as e from salesforce.lead "
                               "where email like '%@%'")["e"])
    canaries = [value.lower() for value in CANARY.values()]
    for table in tables:
        frame = query(db, f"select * from analytics.{table}")
        assert not [c for c in frame.columns if any(word in c.lower() for word in PII_COLUMN_WORDS)], table
        for column in frame.columns:
            if frame[column].dtype != object:
                continue
            values = frame[column].dropna().astype(str)
            assert not values.str.lower().isin(raw_emails).any(), (table, column)
            assert not values.str.contains("@", regex=False).any(), (table, column)
            lowered = values.str.lower()
            for canary in canaries:
                assert not lowered.str.contains(canary, regex=False).any(), (table, column, canary)
    # the canary lead is scored, so its score rows were searched
    assert score_rows(db, built.damage.leads["privacy_canary"]) == 1
