"""Salesforce objects as the connector lands them: leads, accounts, contacts, opportunities, tasks, campaigns,
campaign members, sales feedback, plus call transcripts (which hang off sales calls).

Connector quirks are reproduced on purpose: ~1% soft-deleted rows in every table, ~2% of lead rows landed
twice with different ``_fivetran_synced``, and a ``_fivetran_synced`` column on every table.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadscore.generator import vocab
from leadscore.generator.activity import event_seconds, lead_episode_intensity
from leadscore.generator.config import MICROS_PER_DAY, MICROS_PER_SECOND, GeneratorConfig, Timeline
from leadscore.generator.entities import TITLES, Accounts, Personas
from leadscore.generator.outcomes import NEVER, Lifecycle, Opportunities
from leadscore.generator.records import (ID_DIGITS, IdCounters, LeadStrings, account_names, dates, flags,
                                         synced_micros, timestamps)
from leadscore.generator.sampling import business_seconds, choose, ragged_arange, sigmoid
from leadscore.generator.strings import (concat, join_skipping_nulls, null_where, padded_ids, take, vocab_array,
                                         where)


def account_ids(account: np.ndarray) -> pa.Array:
    """Salesforce ids of accounts (from the global account index)."""
    return padded_ids("001", np.asarray(account) + 1, ID_DIGITS)


def _optional_ids(prefix: str, number: np.ndarray) -> pa.Array:
    """Ids where ``number > 0``, null elsewhere."""
    return null_where(number <= 0, padded_ids(prefix, np.maximum(number, 0), ID_DIGITS))


def _connector_columns(rng: np.random.Generator, last_modified: np.ndarray, timeline: Timeline,
                       cfg: GeneratorConfig) -> dict[str, pa.Array]:
    """``is_deleted`` (about 1%) and ``_fivetran_synced`` for rows last changed at ``last_modified``."""
    n = len(last_modified)
    return {
        "is_deleted": pa.array(flags(rng, n, cfg.deleted_share)),
        "_fivetran_synced": timestamps(synced_micros(rng, last_modified, timeline.end_micros)),
    }


# ---------------------------------------------------------------- campaigns (run-wide)

@dataclass(frozen=True)
class Campaigns:
    """The run's marketing campaigns: type index, start day and 1-based number (its id), sorted by type then day."""

    campaign_type: np.ndarray
    start_day: np.ndarray
    number: np.ndarray

    def latest_started(self, campaign_type: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Number of the latest campaign of each type started on or before ``day`` (0 when none)."""
        out = np.zeros(len(day), dtype=np.int64)
        for t in np.unique(campaign_type[campaign_type >= 0]):
            mask = campaign_type == t
            starts = self.start_day[self.campaign_type == t]
            numbers = self.number[self.campaign_type == t]
            position = np.searchsorted(starts, day[mask], side="right") - 1
            out[mask] = np.where(position >= 0, numbers[np.maximum(position, 0)], 0)
        return out

    def next_webinar(self, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Number and start day of the first webinar starting after ``day`` (number 0 when none)."""
        webinar = self.campaign_type == vocab.CAMPAIGN_TYPES.index("Webinar")
        starts, numbers = self.start_day[webinar], self.number[webinar]
        position = np.searchsorted(starts, day, side="right")
        found = position < len(starts)
        position = np.minimum(position, len(starts) - 1)
        return np.where(found, numbers[position], 0), np.where(found, starts[position], -1)


def make_campaigns(rng: np.random.Generator, n_days: int) -> Campaigns:
    """About 60 campaigns of the usual types, spread over the timeline."""
    types, starts = [], []
    for t, count in enumerate(vocab.CAMPAIGN_COUNTS):
        day = np.floor((np.arange(count) + rng.uniform(0.1, 0.9, count)) * n_days / count).astype(np.int64)
        types.append(np.full(count, t))
        starts.append(np.sort(day))
    campaign_type, start_day = np.concatenate(types), np.concatenate(starts)
    return Campaigns(campaign_type=campaign_type, start_day=start_day, number=np.arange(1, len(start_day) + 1))


def campaign_table(rng: np.random.Generator, campaigns: Campaigns, timeline: Timeline,
                   cfg: GeneratorConfig) -> pa.Table:
    """The campaign object: names like ``2025-03 Webinar - Reverse ETL``."""
    n = len(campaigns.number)
    start_date = np.datetime64("1970-01-01", "D") + timeline.epoch_days(campaigns.start_day).astype("timedelta64[D]")
    month = pc.utf8_slice_codeunits(pa.array(start_date.astype(str)), 0, 7)
    theme = take(vocab.CAMPAIGN_THEMES, rng.integers(0, len(vocab.CAMPAIGN_THEMES), n))
    kind = take(vocab.CAMPAIGN_TYPES, campaigns.campaign_type)
    return pa.table({
        "id": padded_ids("701", campaigns.number, ID_DIGITS),
        "name": concat(month, " ", kind, " - ", theme),
        "type": kind,
        "start_date": dates(timeline.epoch_days(campaigns.start_day)),
        **_connector_columns(rng, timeline.micros(campaigns.start_day - 20, np.zeros(n)), timeline, cfg),
    })


# ---------------------------------------------------------------- leads and conversion records

@dataclass(frozen=True)
class Conversion:
    """Converted leads of a chunk: mask, day, timestamp and the numbers of the contact and opportunity."""

    converted: np.ndarray
    day: np.ndarray
    micros: np.ndarray
    contact_number: np.ndarray
    opportunity_number: np.ndarray


def make_conversion(rng: np.random.Generator, converted_offset: np.ndarray, created_day: np.ndarray,
                    ids: IdCounters, timeline: Timeline) -> Conversion:
    """Conversion day and time of each converted lead, and new contact and opportunity numbers."""
    converted = converted_offset >= 0
    day = np.where(converted, created_day + converted_offset, -1)
    micros = timeline.micros(np.maximum(day, 0), business_seconds(rng, len(day)))
    contact = np.zeros(len(day), dtype=np.int64)
    opportunity = np.zeros(len(day), dtype=np.int64)
    contact[converted] = ids.take("contact", int(converted.sum()))
    opportunity[converted] = ids.take("opportunity", int(converted.sum()))
    return Conversion(converted, day, micros, contact, opportunity)


@dataclass(frozen=True)
class LifecycleTimes:
    """Timestamps (epoch micros) of a chunk's dated status changes: the first sales touch and the review
    (meaningful where :class:`Lifecycle` says they happened)."""

    first_touch: np.ndarray
    review: np.ndarray


def lifecycle_times(rng: np.random.Generator, p: Personas, lifecycle: Lifecycle, conversion: Conversion,
                    timeline: Timeline) -> LifecycleTimes:
    """When the first touch and the review happened: in working hours, after creation, and a first touch on the
    conversion day before the conversion."""
    touched = lifecycle.touched_day < NEVER
    day = np.where(touched, lifecycle.touched_day, p.created_day)
    first_touch = timeline.micros(day, event_seconds(rng, day - p.created_day, p.created_second))
    same_day = touched & (lifecycle.touched_day == conversion.day)
    first_touch = np.where(same_day, np.minimum(first_touch, conversion.micros - MICROS_PER_SECOND), first_touch)
    reviewed = lifecycle.review_day < NEVER
    review = timeline.micros(np.where(reviewed, lifecycle.review_day, 0), business_seconds(rng, p.n))
    return LifecycleTimes(first_touch=first_touch, review=review)


def last_modified_micros(rng: np.random.Generator, p: Personas, lifecycle: Lifecycle, times: LifecycleTimes,
                         conversion: Conversion, tasks: Tasks, created_micros: np.ndarray, timeline: Timeline,
                         cfg: GeneratorConfig) -> np.ndarray:
    """``last_modified_date`` of each lead row: the close for a closed lead (conversion or disqualification),
    else its latest status change or sales touch; admin mass updates make it later for some rows, closed or not."""
    on_lead = ~conversion.converted[tasks.row] | (tasks.micros < conversion.micros[tasks.row])
    last_touch = np.zeros(p.n, dtype=np.int64)
    np.maximum.at(last_touch, tasks.row[on_lead], tasks.micros[on_lead])
    touched = lifecycle.touched_day < NEVER
    open_change = np.maximum.reduce([
        created_micros,
        np.where(touched, times.first_touch, 0),
        np.where(lifecycle.nurtured, times.review, 0),
        last_touch,
    ])
    last = np.where(conversion.converted, conversion.micros,
                    np.where(lifecycle.disqualified, times.review, open_change))
    for fraction, share in cfg.mass_updates:
        day = int(fraction * timeline.n_days)
        # a mass update runs through the rows over an hour or so
        when = timeline.micros(np.full(p.n, day), 19 * 3600 + rng.integers(0, 3600, p.n))
        hit = (created_micros < when) & flags(rng, p.n, share)
        last = np.where(hit, np.maximum(last, when), last)
    return last


def lead_table(rng: np.random.Generator, p: Personas, s: LeadStrings, accounts: Accounts, lifecycle: Lifecycle,
               conversion: Conversion, last_modified: np.ndarray, created_micros: np.ndarray, timeline: Timeline,
               cfg: GeneratorConfig) -> pa.Table:
    """The lead object as it stands at the end date (no history), with enrichment gaps, ``last_modified_date``,
    the custom field ``product_interest__c`` and ~2% rows landed twice."""
    account = p.account
    missing = p.firmographics_missing | p.is_individual
    converted = conversion.converted
    table = pa.table({
        "id": s.lead_id,
        "email": s.email,
        "first_name": s.first_name,
        "last_name": s.last_name,
        "title": s.title,
        "company": s.company,
        "website": s.website,
        "industry": null_where(missing, take(vocab.INDUSTRIES, accounts.industry[account])),
        "number_of_employees": pa.array(accounts.employees[account], mask=missing),
        "annual_revenue": pa.array(accounts.revenue[account], mask=missing),
        "lead_source": take(vocab.LEAD_SOURCES, p.source),
        "status": take(vocab.LEAD_STATUSES, lifecycle.status),
        "country": take(vocab.COUNTRIES, p.country),
        "created_date": timestamps(created_micros),
        "is_converted": pa.array(converted),
        "converted_date": dates(timeline.epoch_days(np.maximum(conversion.day, 0)), ~converted),
        "converted_account_id": null_where(~converted, account_ids(account)),
        "converted_contact_id": _optional_ids("003", conversion.contact_number),
        "converted_opportunity_id": _optional_ids("006", conversion.opportunity_number),
        "owner_id": padded_ids("005", p.owner + 1, ID_DIGITS),
        **_connector_columns(rng, last_modified, timeline, cfg),
        "last_modified_date": timestamps(last_modified),
        "product_interest__c": null_where(p.product_interest < 0,
                                          take(vocab.PRODUCT_INTERESTS, np.maximum(p.product_interest, 0))),
    })
    # The connector sometimes lands a row twice: an older sync of the same record.
    twice = np.flatnonzero(flags(rng, p.n, cfg.duplicate_row_share))
    synced = table.column("_fivetran_synced").to_numpy().astype("datetime64[us]").astype(np.int64)[twice]
    older = last_modified[twice] + (rng.random(len(twice)) * (synced - last_modified[twice])).astype(np.int64)
    copies = table.take(pa.array(twice))
    copies = copies.set_column(copies.schema.get_field_index("_fivetran_synced"), "_fivetran_synced",
                               timestamps(older))
    return pa.concat_tables([table, copies])


def lead_history_table(rng: np.random.Generator, p: Personas, s: LeadStrings, lifecycle: Lifecycle,
                       times: LifecycleTimes, conversion: Conversion, created_micros: np.ndarray, ids: IdCounters,
                       timeline: Timeline) -> pa.Table:
    """Salesforce lead field history as a connector lands it: a ``created`` row per lead and a ``Status`` row per
    status change (Open -> Working at the first touch, Working -> Nurturing or Unqualified at the review,
    any -> Converted at conversion). Only orgs that track field history have it."""
    statuses = vocab.LEAD_STATUSES
    touched = np.flatnonzero(lifecycle.touched_day < NEVER)
    reviewed = np.flatnonzero(lifecycle.nurtured | lifecycle.disqualified)
    converted = np.flatnonzero(conversion.converted)
    before_conversion = np.select(
        [lifecycle.disqualified, lifecycle.nurtured, lifecycle.touched_day < NEVER], [3, 2, 1], 0)[converted]
    fields = ("created", "Status")
    parts = [  # (rows, micros, field, old status, new status); -1 is a null value
        (np.arange(p.n), created_micros, 0, -1, -1),
        (touched, times.first_touch[touched], 1, 0, 1),
        (reviewed, times.review[reviewed], 1, 1, np.where(lifecycle.disqualified[reviewed], 3, 2)),
        (converted, conversion.micros[converted], 1, before_conversion, 4),
    ]
    row, micros, field, old, new = (np.concatenate([np.broadcast_to(part[i], len(part[0])) for part in parts])
                                    for i in range(5))
    keep = micros < timeline.end_micros
    row, micros, field, old, new = row[keep], micros[keep], field[keep], old[keep], new[keep]
    n = len(row)
    return pa.table({
        "id": padded_ids("017", ids.take("lead_history", n), ID_DIGITS),
        "lead_id": s.lead_id.take(pa.array(row)),
        "field": take(fields, field),
        "old_value": null_where(old < 0, take(statuses, np.maximum(old, 0))),
        "new_value": null_where(new < 0, take(statuses, np.maximum(new, 0))),
        "created_date": timestamps(micros),
        # field history cannot be deleted by users: connectors land it with is_deleted false
        "is_deleted": pa.array(np.zeros(n, dtype=bool)),
        "_fivetran_synced": timestamps(synced_micros(rng, micros, timeline.end_micros)),
    })


def account_table(rng: np.random.Generator, p: Personas, s: LeadStrings, accounts: Accounts, account_start: int,
                  account_end: int, lead_start: int, conversion: Conversion, won: np.ndarray,
                  created_micros: np.ndarray, timeline: Timeline, cfg: GeneratorConfig) -> pa.Table:
    """Accounts in the CRM: those that existed before their leads (customers, partners, competitors, some
    prospects) and those created when a lead of theirs converted.

    Parameters
    ----------
    won : numpy.ndarray
        Per lead, whether its opportunity closed won by the end date (turns a prospect into a customer).
    """
    idx = np.arange(account_start, account_end)
    local = p.account - account_start
    n = len(idx)
    never = np.iinfo(np.int64).max
    first_conversion = np.full(n, never, dtype=np.int64)
    np.minimum.at(first_conversion, local[conversion.converted], conversion.micros[conversion.converted])
    has_won = np.zeros(n, dtype=bool)
    np.logical_or.at(has_won, local, won)
    first_created = np.full(n, never, dtype=np.int64)
    np.minimum.at(first_created, local, created_micros)
    existed = accounts.in_crm[idx]
    keep = existed | (first_conversion < never)
    crm_created = first_created - accounts.crm_lead_days[idx] * MICROS_PER_DAY
    created = np.where(existed, crm_created, first_conversion)

    idx, created, has_won = idx[keep], created[keep], has_won[keep]
    individual = accounts.is_individual[idx]
    name, _, domain = account_names(idx, accounts)
    first_lead_row = accounts.first_lead[idx] - lead_start
    name = where(individual, s.company.take(pa.array(first_lead_row)), name)
    account_type = np.where((accounts.account_type[idx] == 0) & has_won, 1, accounts.account_type[idx])
    return pa.table({
        "id": account_ids(idx),
        "name": name,
        "website": null_where(individual | accounts.website_missing[idx], concat("https://www.", domain)),
        "industry": null_where(individual, take(vocab.INDUSTRIES, accounts.industry[idx])),
        "number_of_employees": pa.array(accounts.employees[idx], mask=individual),
        "annual_revenue": pa.array(accounts.revenue[idx], mask=individual),
        "billing_country": take(vocab.COUNTRIES, np.where(individual, p.country[first_lead_row],
                                                          accounts.country[idx])),
        "type": take(vocab.ACCOUNT_TYPES, account_type),
        "created_date": timestamps(created),
        **_connector_columns(rng, created, timeline, cfg),
    })


def contact_table(rng: np.random.Generator, p: Personas, s: LeadStrings, conversion: Conversion,
                  timeline: Timeline, cfg: GeneratorConfig) -> pa.Table:
    """Contacts created by lead conversion."""
    rows = np.flatnonzero(conversion.converted)
    taken = pa.array(rows)
    micros = conversion.micros[rows]
    return pa.table({
        "id": padded_ids("003", conversion.contact_number[rows], ID_DIGITS),
        "account_id": account_ids(p.account[rows]),
        "email": s.email_lower.take(taken),
        "title": s.title.take(taken),
        "department": take(vocab.DEPARTMENT_LABELS, p.department[rows]),
        "lead_source": take(vocab.LEAD_SOURCES, p.source[rows]),
        "created_date": timestamps(micros),
        **_connector_columns(rng, micros, timeline, cfg),
    })


def opportunity_table(rng: np.random.Generator, p: Personas, s: LeadStrings, accounts: Accounts,
                      conversion: Conversion, deals: Opportunities, timeline: Timeline,
                      cfg: GeneratorConfig) -> pa.Table:
    """Opportunities created at conversion; closed Won/Lost 30-120 days later, or still open at the end date
    (an open deal's ``close_date`` is its expected close date and may lie after the end date). Reps leave the
    amount empty on some deals, more often on lost and open ones."""
    rows = np.flatnonzero(conversion.converted)
    name, _, _ = account_names(p.account[rows], accounts)
    name = where(p.is_individual[rows], concat(s.first_name.take(pa.array(rows)), " ",
                                               s.last_name.take(pa.array(rows))), name)
    suffix = take(vocab.OPPORTUNITY_SUFFIXES, rng.integers(0, len(vocab.OPPORTUNITY_SUFFIXES), len(rows)))
    stage = where(deals.is_won, "Closed Won", where(deals.is_closed, "Closed Lost",
                                                     take(vocab.OPEN_STAGES, deals.open_stage)))
    created = conversion.micros[rows]
    closed_at = timeline.micros(np.minimum(deals.close_day, timeline.n_days - 1), np.full(len(rows), 20 * 3600))
    last_modified = np.where(deals.is_closed, np.maximum(closed_at, created), created)
    won, lost, still_open = cfg.amount_missing
    no_amount = rng.random(len(rows)) < np.where(deals.is_won, won, np.where(deals.is_closed, lost, still_open))
    return pa.table({
        "id": padded_ids("006", conversion.opportunity_number[rows], ID_DIGITS),
        "account_id": account_ids(p.account[rows]),
        "name": concat(name, suffix),
        "amount": pa.array(deals.amount, mask=no_amount),
        "stage_name": stage,
        "is_closed": pa.array(deals.is_closed),
        "is_won": pa.array(deals.is_won),
        "close_date": dates(timeline.epoch_days(deals.close_day)),
        "created_date": timestamps(created),
        "lead_source": take(vocab.LEAD_SOURCES, p.source[rows]),
        **_connector_columns(rng, last_modified, timeline, cfg),
    })


def customer_history(rng: np.random.Generator, accounts: Accounts, account_start: int, account_end: int,
                     first_lead_day: np.ndarray, ids: IdCounters, timeline: Timeline,
                     cfg: GeneratorConfig) -> tuple[pa.Table, pa.Table]:
    """Existing customers' past: 1-2 won opportunities and 1-3 contacts each, all before their new leads.

    Parameters
    ----------
    first_lead_day : numpy.ndarray
        Creation day of the first lead of each account ``account_start .. account_end - 1``.
    """
    idx = np.arange(account_start, account_end)
    customer = (accounts.account_type[idx] == 1) & accounts.in_crm[idx]
    idx, first_lead_day = idx[customer], first_lead_day[customer]
    _, _, domain = account_names(idx, accounts)
    account_created = first_lead_day - accounts.crm_lead_days[idx]

    n_opps = rng.integers(1, 3, len(idx))
    of, _ = ragged_arange(n_opps)
    m = len(of)
    # Crm lead days of customers are at least 200, so deals fit between account creation and the first lead.
    span = np.maximum(accounts.crm_lead_days[idx[of]] - 160, 1)
    created_day = account_created[of] + 10 + (rng.random(m) * span).astype(np.int64)
    close_day = created_day + rng.integers(30, 121, m)
    created = timeline.micros(created_day, business_seconds(rng, m))
    amount = np.round(np.exp(np.log(cfg.amount_median) + cfg.amount_size_elasticity
                             * np.log(accounts.employees[idx[of]] / 100.0) + rng.normal(0.0, cfg.amount_sigma, m)), -2)
    name, _, _ = account_names(idx[of], accounts)
    opportunities = pa.table({
        "id": padded_ids("006", ids.take("opportunity", m), ID_DIGITS),
        "account_id": account_ids(idx[of]),
        "name": concat(name, " - Initial Deal"),
        "amount": pa.array(amount, mask=flags(rng, m, cfg.amount_missing[0])),
        "stage_name": take(["Closed Won"], np.zeros(m, dtype=np.int64)),
        "is_closed": pa.array(np.ones(m, dtype=bool)),
        "is_won": pa.array(np.ones(m, dtype=bool)),
        "close_date": dates(timeline.epoch_days(close_day)),
        "created_date": timestamps(created),
        "lead_source": take(vocab.LEAD_SOURCES, choose(rng, vocab.LEAD_SOURCE_SHARES, m)),
        **_connector_columns(rng, timeline.micros(close_day, np.full(m, 20 * 3600)), timeline, cfg),
    })

    n_contacts = rng.integers(1, 4, len(idx))
    of, _ = ragged_arange(n_contacts)
    m = len(of)
    first = rng.integers(0, len(vocab.FIRST_NAMES), m)
    last = rng.integers(0, len(vocab.LAST_NAMES), m)
    title_index = rng.integers(0, len(TITLES) - len(vocab.STUDENT_TITLES), m)
    created = timeline.micros(account_created[of] + rng.integers(1, 60, m), business_seconds(rng, m))
    contacts = pa.table({
        "id": padded_ids("003", ids.take("contact", m), ID_DIGITS),
        "account_id": account_ids(idx[of]),
        "email": concat(take(vocab.FIRST_NAME_SLUGS, first), ".", take(vocab.LAST_NAME_SLUGS, last), "@",
                        domain.take(pa.array(of))),
        "title": take(vocab_array(TITLES), title_index),
        "department": take(vocab.DEPARTMENT_LABELS, choose(rng, cfg.department_shares, m)),
        "lead_source": take(vocab.LEAD_SOURCES, choose(rng, vocab.LEAD_SOURCE_SHARES, m)),
        "created_date": timestamps(created),
        **_connector_columns(rng, created, timeline, cfg),
    })
    return opportunities, contacts


# ---------------------------------------------------------------- sales touches and calls

@dataclass(frozen=True)
class Tasks:
    """Sales touches of a chunk: lead row, timeline day, timestamp, subtype index and completion."""

    row: np.ndarray
    day: np.ndarray
    micros: np.ndarray
    subtype: np.ndarray
    completed: np.ndarray


def make_tasks(rng: np.random.Generator, p: Personas, lifecycle: Lifecycle, times: LifecycleTimes,
               task_row: np.ndarray, task_offset: np.ndarray, timeline: Timeline, cfg: GeneratorConfig) -> Tasks:
    """Sales touches: the first touch on the day routing set, then touches that follow the lead's activity curve
    while a rep works it (after the first touch, through a review that disqualifies it); meetings are likelier
    with buying interest."""
    first = np.flatnonzero(lifecycle.touched_day < NEVER)
    day = p.created_day[task_row] + task_offset
    last_worked = np.where(lifecycle.disqualified, lifecycle.review_day, NEVER)[task_row]
    keep = (day > lifecycle.touched_day[task_row]) & (day <= last_worked) & (day < timeline.n_days)
    task_row, task_offset, day = task_row[keep], task_offset[keep], day[keep]
    micros = timeline.micros(day, event_seconds(rng, task_offset, p.created_second[task_row]))
    row = np.concatenate([first, task_row])
    day = np.concatenate([lifecycle.touched_day[first], day])
    micros = np.concatenate([times.first_touch[first], micros])
    base, loading, cap = cfg.meeting_share
    p_meeting = np.minimum(base * np.exp(loading * p.interest[row]), cap)
    u = rng.random(len(row))
    subtype = np.where(u < p_meeting, 2, np.where(u < p_meeting + 0.45, 0, 1))
    completed = (day < timeline.n_days - 7) | (rng.random(len(row)) < 0.6)
    return Tasks(row=row, day=day, micros=micros, subtype=subtype, completed=completed)


def task_table(rng: np.random.Generator, tasks: Tasks, s: LeadStrings, p: Personas, conversion: Conversion,
               created_micros: np.ndarray, ids: IdCounters, timeline: Timeline, cfg: GeneratorConfig) -> pa.Table:
    """The task object; touches after conversion are logged on the new contact and opportunity."""
    n = len(tasks.row)
    after = conversion.converted[tasks.row] & (tasks.micros >= conversion.micros[tasks.row])
    contact = _optional_ids("003", conversion.contact_number[tasks.row])
    who = where(after, contact, s.lead_id.take(pa.array(tasks.row)))
    what = null_where(~after, _optional_ids("006", conversion.opportunity_number[tasks.row]))
    subject_counts = np.array([len(x) for x in vocab.TASK_SUBJECTS])
    subject_offsets = np.cumsum(subject_counts) - subject_counts
    subject = subject_offsets[tasks.subtype] + (rng.random(n) * subject_counts[tasks.subtype]).astype(np.int64)
    scheduled_ahead = np.where(tasks.subtype == 2, rng.integers(1, 6, n), 0) * MICROS_PER_DAY
    created = np.maximum(tasks.micros - scheduled_ahead, created_micros[tasks.row])
    return pa.table({
        "id": padded_ids("00T", ids.take("task", n), ID_DIGITS),
        "who_id": who,
        "what_id": what,
        "subject": take([x for group in vocab.TASK_SUBJECTS for x in group], subject),
        "task_subtype": take(vocab.TASK_SUBTYPES, tasks.subtype),
        "status": where(tasks.completed, "Completed", "Not Started"),
        "activity_date": dates(timeline.epoch_days(tasks.day)),
        "created_date": timestamps(created),
        **_connector_columns(rng, np.maximum(created, tasks.micros), timeline, cfg),
    })


def _phrases(rng: np.random.Generator, bank: tuple[str, ...], said: np.ndarray) -> pa.Array:
    """A random phrase of ``bank`` where ``said``, null elsewhere."""
    return null_where(~said, take(bank, rng.integers(0, len(bank), len(said))))


def transcript_table(rng: np.random.Generator, tasks: Tasks, p: Personas, s: LeadStrings, accounts: Accounts,
                     conversion: Conversion, ids: IdCounters, cfg: GeneratorConfig) -> pa.Table:
    """Recorded calls: up to three per lead among its completed calls and meetings, text from phrase banks.

    Budget talk rises with authority x interest, timelines with the account being in-market, pain with
    technical evaluation; students and low-interest leads raise objections.
    """
    call = (tasks.subtype != 1) & tasks.completed
    row, micros, day, subtype = tasks.row[call], tasks.micros[call], tasks.day[call], tasks.subtype[call]
    order = np.lexsort((micros, row))
    row, micros, day, subtype = row[order], micros[order], day[order], subtype[order]
    counts = np.bincount(row, minlength=p.n)
    rank = np.arange(len(row)) - (np.cumsum(counts) - counts)[row]
    keep = (rank < 3) & (rng.random(len(row)) < cfg.transcript_share_of_calls)
    row, micros, day, subtype = row[keep], micros[keep], day[keep], subtype[keep]
    n = len(row)

    interest, evaluation = p.interest[row], p.evaluation[row]
    in_market = lead_episode_intensity(day, accounts, p.account[row]).astype(np.float64)
    pain = sigmoid(cfg.pain_phrase_logit[0] + cfg.pain_phrase_logit[1] * evaluation * (0.5 + p.technical_fit[row]))
    budget = rng.random(n) < sigmoid(cfg.budget_phrase_logit[0]
                                     + cfg.budget_phrase_logit[1] * p.authority[row] * interest)
    timeline_said = rng.random(n) < sigmoid(cfg.timeline_phrase_logit[0] + cfg.timeline_phrase_logit[1] * in_market)
    student = p.is_student[row] | (p.seniority[row] == 0)
    no_budget = sigmoid(cfg.no_budget_phrase_logit[0] + cfg.no_budget_phrase_logit[1] * interest)
    a, b, c = cfg.objection_phrase_logit
    objection = sigmoid(a + b * interest + c * student)
    parts = [
        _phrases(rng, vocab.SMALL_TALK, np.ones(n, dtype=bool)),
        _phrases(rng, vocab.DISCOVERY_TALK, rng.random(n) < 0.8),
        _phrases(rng, vocab.PAIN_PHRASES, rng.random(n) < pain),
        _phrases(rng, vocab.PAIN_PHRASES, rng.random(n) < 0.15),
        _phrases(rng, vocab.BUDGET_PHRASES, budget),
        _phrases(rng, vocab.NO_BUDGET_PHRASES, ~budget & (rng.random(n) < no_budget)),
        _phrases(rng, vocab.TIMELINE_PHRASES, timeline_said),
        _phrases(rng, vocab.NO_TIMELINE_PHRASES, ~timeline_said & (rng.random(n) < 0.25)),
        _phrases(rng, vocab.COMPETITOR_PHRASES, rng.random(n) < 0.25),
        _phrases(rng, vocab.OBJECTION_PHRASES, rng.random(n) < objection),
        _phrases(rng, vocab.CLOSING_TALK, np.ones(n, dtype=bool)),
    ]
    after = conversion.converted[row] & (micros >= conversion.micros[row])
    median = np.where(subtype == 2, 1800.0, 600.0)
    duration = np.clip(np.round(median * np.exp(rng.normal(0.0, 0.5, n))), 60, 5400).astype(np.int64)
    return pa.table({
        "id": padded_ids("ct_", ids.take("transcript", n), ID_DIGITS),
        "lead_id": null_where(after, s.lead_id.take(pa.array(row))),
        "contact_id": null_where(~after, _optional_ids("003", conversion.contact_number[row])),
        "started_at": timestamps(micros),
        "duration_seconds": pa.array(duration),
        "transcript": join_skipping_nulls(parts, " "),
    })


# ---------------------------------------------------------------- campaign members and feedback

@dataclass(frozen=True)
class WebinarAttendance:
    """Webinar attendances (lead row and timestamp): they also land as ``webinar_attended`` tracks."""

    row: np.ndarray
    micros: np.ndarray


def campaign_member_table(rng: np.random.Generator, p: Personas, s: LeadStrings, campaigns: Campaigns,
                          registration_row: np.ndarray, registration_micros: np.ndarray,
                          created_micros: np.ndarray, ids: IdCounters, timeline: Timeline,
                          cfg: GeneratorConfig) -> tuple[pa.Table, WebinarAttendance]:
    """Campaign memberships: the campaign a lead came from, and every webinar it registered for.

    Registrations join the next webinar; attendance rises with webinar affinity.
    """
    source_type = np.asarray(vocab.SOURCE_CAMPAIGN_TYPE)[p.source]
    webinar_type = vocab.CAMPAIGN_TYPES.index("Webinar")
    source_rows = np.flatnonzero((source_type >= 0) & (source_type != webinar_type))
    source_campaign = campaigns.latest_started(source_type[source_rows], p.created_day[source_rows])
    has_campaign = source_campaign > 0
    source_rows, source_campaign = source_rows[has_campaign], source_campaign[has_campaign]

    registration_day = (registration_micros // MICROS_PER_DAY) - timeline.start_epoch_day
    webinar, webinar_day = campaigns.next_webinar(registration_day)
    found = webinar > 0
    reg_row, reg_micros, webinar, webinar_day = (registration_row[found], registration_micros[found], webinar[found],
                                                 webinar_day[found])
    order = np.lexsort((reg_micros, webinar, reg_row))
    reg_row, reg_micros, webinar, webinar_day = reg_row[order], reg_micros[order], webinar[order], webinar_day[order]
    first = np.ones(len(reg_row), dtype=bool)
    first[1:] = (reg_row[1:] != reg_row[:-1]) | (webinar[1:] != webinar[:-1])
    reg_row, reg_micros, webinar, webinar_day = reg_row[first], reg_micros[first], webinar[first], webinar_day[first]
    happened = webinar_day < timeline.n_days
    intercept, slope = cfg.webinar_attendance_logit
    attended = happened & (rng.random(len(reg_row)) < sigmoid(intercept + slope * p.webinar_affinity[reg_row]))
    attended_micros = timeline.micros(webinar_day, 16 * 3600 + rng.integers(0, 1800, len(reg_row)))
    reg_status = np.where(attended, 0, np.where(happened, 1, 2))
    last_change = np.where(attended, attended_micros, reg_micros)

    n_source = len(source_rows)
    rows = np.concatenate([source_rows, reg_row])
    created = np.concatenate([created_micros[source_rows], reg_micros])
    responded = np.concatenate([np.ones(n_source, dtype=bool), attended])
    responded_day = np.concatenate([p.created_day[source_rows], webinar_day])
    status = pa.concat_arrays([take(vocab.SOURCE_MEMBER_STATUS, p.source[source_rows]),
                               take(("Attended", "No Show", "Registered"), reg_status)])
    table = pa.table({
        "id": padded_ids("00v", ids.take("campaign_member", len(rows)), ID_DIGITS),
        "campaign_id": padded_ids("701", np.concatenate([source_campaign, webinar]), ID_DIGITS),
        "lead_id": s.lead_id.take(pa.array(rows)),
        "contact_id": pa.nulls(len(rows), pa.string()),
        "status": status,
        "has_responded": pa.array(responded),
        "first_responded_date": dates(timeline.epoch_days(np.maximum(responded_day, 0)), ~responded),
        "created_date": timestamps(created),
        **_connector_columns(rng, np.concatenate([created_micros[source_rows], last_change]), timeline, cfg),
    })
    return table, WebinarAttendance(row=reg_row[attended], micros=attended_micros[attended])


def feedback_table(rng: np.random.Generator, p: Personas, s: LeadStrings, lifecycle: Lifecycle,
                   created_micros: np.ndarray, ids: IdCounters, timeline: Timeline,
                   cfg: GeneratorConfig) -> pa.Table:
    """Reps flag a few percent of worked leads' scores: too low for converters, too high for disqualified."""
    status = lifecycle.status
    rows = np.flatnonzero((lifecycle.touched_day < NEVER) & flags(rng, p.n, cfg.feedback_share))
    day = p.created_day[rows] + rng.integers(14, 61, len(rows))
    rows, day = rows[day < timeline.n_days], day[day < timeline.n_days]
    n = len(rows)
    u = rng.random(n)
    converted = status[rows] == vocab.LEAD_STATUSES.index("Converted")
    unqualified = status[rows] == vocab.LEAD_STATUSES.index("Unqualified")
    verdict = np.select([converted, unqualified],
                        [np.where(u < 0.55, 1, 2), np.where(u < 0.6, 0, 2)],
                        np.where(u < 0.35, 0, np.where(u < 0.6, 1, 2)))
    note_counts = np.array([len(x) for x in vocab.FEEDBACK_NOTES])
    note_offsets = np.cumsum(note_counts) - note_counts
    note = note_offsets[verdict] + (rng.random(n) * note_counts[verdict]).astype(np.int64)
    micros = np.maximum(timeline.micros(day, business_seconds(rng, n)), created_micros[rows] + 1)
    return pa.table({
        "id": padded_ids("a0F", ids.take("feedback", n), ID_DIGITS),
        "lead_id": s.lead_id.take(pa.array(rows)),
        "created_date": timestamps(micros),
        "verdict": take(vocab.FEEDBACK_VERDICTS, verdict),
        "note": take([x for group in vocab.FEEDBACK_NOTES for x in group], note),
        "_fivetran_synced": timestamps(synced_micros(rng, micros, timeline.end_micros)),
    })
