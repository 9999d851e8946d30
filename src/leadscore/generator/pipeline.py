"""The run: draw the world once, simulate it chunk by chunk of accounts, and append every table to DuckDB.

Randomness: :class:`numpy.random.SeedSequence` streams keyed by the seed: one for the run-wide draws, one
for campaigns and a family per chunk (see :class:`ChunkStreams`), so results depend only on the seed and
the arguments (chunks are fixed by the account sizes and the grid length). The honest truth
(:mod:`leadscore.generator.truth`) takes no stream: its Monte Carlo draws are hashes of the seed, the account
and the Monday, so it never shifts the world's draws.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa

from leadscore.generator import activity, crm, outcomes, records, truth, vocab
from leadscore.generator.config import GeneratorConfig, RunParams, Timeline, drift_weight, ramp_log_factor
from leadscore.generator.entities import (Accounts, LeadSkeleton, Personas, chunk_bounds, make_accounts,
                                          make_lead_skeleton, make_personas)
from leadscore.generator.tables import OPTIONAL_TABLES, TABLES
from leadscore.generator.writer import DuckDBWriter

STREAM_WORLD = 0
STREAM_CHUNK = 1
STREAM_CAMPAIGNS = 2


@dataclass(frozen=True)
class ChunkStreams:
    """Independent random streams of a chunk, one per concern, so that a change in one part of the world
    (say the hazard, with or without drift) leaves the draws of the others untouched."""

    people: np.random.Generator
    activity: np.random.Generator
    outcomes: np.random.Generator
    crm: np.random.Generator
    web: np.random.Generator
    signals: np.random.Generator


def chunk_streams(seed: int, chunk: int) -> ChunkStreams:
    """The random streams of chunk ``chunk`` of a run seeded with ``seed``."""
    children = np.random.SeedSequence([seed, STREAM_CHUNK, chunk]).spawn(6)
    return ChunkStreams(*(np.random.default_rng(child) for child in children))


@dataclass(frozen=True)
class World:
    """Run-wide state drawn before the chunks: timeline, accounts, lead skeleton, campaigns, drift curve."""

    params: RunParams
    cfg: GeneratorConfig
    timeline: Timeline
    accounts: Accounts
    skeleton: LeadSkeleton
    campaigns: crm.Campaigns
    drift_by_day: np.ndarray
    ramp_by_day: np.ndarray
    first_monday: int
    horizon: int
    chunk_leads: int


@dataclass(frozen=True)
class ChunkStats:
    """Counts a chunk reports for the run summary."""

    leads: int
    worked: int
    converted: int
    converted_unworked: int


def make_world(params: RunParams, cfg: GeneratorConfig) -> World:
    """Draw everything that spans chunks."""
    timeline = Timeline.from_params(params)
    rng = np.random.default_rng(np.random.SeedSequence([params.seed, STREAM_WORLD]))
    accounts = make_accounts(rng, params.leads, timeline.n_days, timeline.end.year, cfg)
    skeleton = make_lead_skeleton(rng, accounts, timeline.n_days, cfg)
    campaigns = crm.make_campaigns(rng, timeline.n_days)
    # A lead's grid runs from its creation to 90 days past the end date: the truth window of a lead open at the
    # end date, however old it is.
    horizon = timeline.n_days + outcomes.TRUTH_WINDOW_DAYS + 1
    days = np.arange(timeline.n_days + horizon + 1)
    return World(
        params=params,
        cfg=cfg,
        timeline=timeline,
        accounts=accounts,
        skeleton=skeleton,
        campaigns=campaigns,
        drift_by_day=drift_weight(days, timeline.n_days, cfg, params.drift),
        ramp_by_day=ramp_log_factor(days, cfg),
        first_monday=int((7 - timeline.start.weekday()) % 7),
        horizon=horizon,
        chunk_leads=max(cfg.chunk_grid_cells // horizon, 1000),
    )


@dataclass(frozen=True)
class ChunkSimulation:
    """What happened to a chunk's leads: personas, events with their times, conversions, deals and truth."""

    personas: Personas
    routing: outcomes.Routing
    lifecycle: outcomes.Lifecycle
    created_micros: np.ndarray
    events: activity.CurveEvents
    event_micros: np.ndarray
    pre_visits: activity.CurveEvents
    pre_visit_micros: np.ndarray
    trials: activity.TrialEvents
    trial_micros: np.ndarray
    mail: activity.EmailEvents
    fit: np.ndarray
    conversion: crm.Conversion
    deals: outcomes.Opportunities
    truth: outcomes.TruthSnapshots


def simulate_leads(world: World, lead_start: int, lead_end: int, streams: ChunkStreams,
                   ids: records.IdCounters) -> ChunkSimulation:
    """Personas, routing, activity curves and events, the daily hazard, conversions, reviews, deals, statuses
    and truth."""
    cfg, timeline, accounts = world.cfg, world.timeline, world.accounts
    n_days, horizon = timeline.n_days, world.horizon
    p = make_personas(streams.people, accounts, world.skeleton, lead_start, lead_end, cfg)
    demo_form = outcomes.demo_form_leads(streams.people, p, cfg)
    points, worked, work_offset = outcomes.route_leads(streams.people, p, accounts, demo_form, cfg)

    level, in_market = activity.activity_grid(p, accounts, horizon, cfg)
    level_cumsum = np.cumsum(level, axis=1, dtype=np.float64)
    rates = activity.curve_event_rates(p, worked, cfg)
    events = activity.sample_curve_events(streams.activity, level_cumsum, rates)
    in_market_at_creation = in_market[:, 0].astype(np.float64)
    trials = activity.trial_events(streams.activity, p, in_market_at_creation, level_cumsum, cfg)
    pre_visits = activity.pre_creation_visits(streams.activity, p, in_market_at_creation,
                                              rates[:, :activity.PAGE_KIND_COUNT], cfg)
    del level_cumsum

    engaged = activity.engaged_day(p, events)
    committee = activity.committee_engagement(p, accounts, lead_start, engaged, horizon)
    trial_depth = activity.counts_to_date(trials.row, trials.offset, p.n, horizon)
    terms = outcomes.log_hazard_terms(p, accounts, cfg)
    poor_fit = p.is_student | p.is_individual | p.is_competitor | (p.seniority == 0) | (terms.fit < -0.8)
    routing = outcomes.Routing(points, demo_form, worked, work_offset,
                               *outcomes.review_leads(streams.outcomes, worked, work_offset, poor_fit, cfg))
    hazard = outcomes.daily_hazard(terms, p.created_day, level, in_market, committee, trial_depth,
                                   world.drift_by_day, world.ramp_by_day,
                                   outcomes.work_log_factor(horizon, work_offset, routing.stop_offset, cfg), cfg)
    del committee, trial_depth, in_market
    cumulative_hazard = np.cumsum(hazard, axis=1, out=hazard)
    converted_offset = outcomes.draw_conversion(streams.outcomes, cumulative_hazard, p.created_day, n_days)
    lifecycle = outcomes.lead_lifecycle(streams.outcomes, routing, p.created_day, converted_offset, n_days, cfg)
    snapshot_row, snapshot_day = outcomes.snapshot_schedule(p.created_day, lifecycle.close_day, world.first_monday,
                                                            n_days)
    realized = outcomes.realized_path_probability(cumulative_hazard, p.created_day, snapshot_row, snapshot_day)
    del cumulative_hazard, hazard
    if world.params.honest_truth:
        honest = truth.honest_probability(truth_inputs(world, lead_start, p, events, trials, terms, routing),
                                          snapshot_row, snapshot_day, cfg, draws=world.params.truth_draws)
    else:
        honest = np.full(len(snapshot_row), np.nan)  # written as null: the truth was not computed
    snapshots = outcomes.TruthSnapshots(row=snapshot_row, as_of_day=snapshot_day, probability=honest,
                                        realized_path_probability=realized)

    conversion = crm.make_conversion(streams.outcomes, converted_offset, p.created_day, ids, timeline)
    rows = np.flatnonzero(conversion.converted)
    deals = outcomes.opportunity_outcomes(streams.outcomes, terms.fit[rows], (p.interest * p.authority)[rows],
                                          accounts.employees[p.account[rows]], conversion.day[rows], n_days, cfg)
    stop_day = np.where(conversion.converted, conversion.day, np.iinfo(np.int64).max)
    mail = activity.email_events(streams.activity, p, level, stop_day, n_days, cfg)

    def times(rows: np.ndarray, offset: np.ndarray) -> np.ndarray:
        seconds = activity.event_seconds(streams.web, offset, p.created_second[rows])
        return timeline.micros(p.created_day[rows] + offset, seconds)

    return ChunkSimulation(
        personas=p, routing=routing, lifecycle=lifecycle,
        created_micros=timeline.micros(p.created_day, p.created_second),
        events=events, event_micros=times(events.row, events.offset),
        pre_visits=pre_visits, pre_visit_micros=times(pre_visits.row, pre_visits.offset),
        trials=trials, trial_micros=times(trials.row, trials.offset),
        mail=mail, fit=terms.fit, conversion=conversion, deals=deals, truth=snapshots,
    )


def truth_inputs(world: World, lead_start: int, personas: Personas, events: activity.CurveEvents,
                 trials: activity.TrialEvents, terms: outcomes.LogHazardTerms,
                 routing: outcomes.Routing) -> truth.TruthInputs:
    """What the honest truth of a chunk reads (never the review's own draw)."""
    return truth.TruthInputs(
        personas=personas, accounts=world.accounts, lead_start=lead_start, events=events, trials=trials,
        terms=terms, drift_by_day=world.drift_by_day, ramp_by_day=world.ramp_by_day,
        n_days=world.timeline.n_days, seed=world.params.seed, horizon=world.horizon,
        work_offset=routing.work_offset, review_offset=routing.review_offset,
        unqualified_chance=routing.unqualified_chance)


def salesforce_tables(world: World, bounds: tuple[int, int, int, int], rng: np.random.Generator,
                      sim: ChunkSimulation, s: records.LeadStrings,
                      ids: records.IdCounters) -> tuple[list[tuple[str, pa.Table]], crm.WebinarAttendance]:
    """The chunk's CRM tables (and call transcripts, which hang off sales calls), plus webinar attendance."""
    cfg, timeline, accounts = world.cfg, world.timeline, world.accounts
    account_start, account_end, lead_start, _ = bounds
    p, conversion, created = sim.personas, sim.conversion, sim.created_micros
    won = np.zeros(p.n, dtype=bool)
    won[conversion.converted] = sim.deals.is_won
    first_lead_day = np.full(account_end - account_start, np.iinfo(np.int64).max)
    np.minimum.at(first_lead_day, p.account - account_start, p.created_day)
    history_opportunities, history_contacts = crm.customer_history(rng, accounts, account_start, account_end,
                                                                   first_lead_day, ids, timeline, cfg)
    is_task = sim.events.kind == activity.KIND_TASK
    times = crm.lifecycle_times(rng, p, sim.lifecycle, conversion, timeline)
    tasks = crm.make_tasks(rng, p, sim.lifecycle, times, sim.events.row[is_task], sim.events.offset[is_task],
                           timeline, cfg)
    last_modified = crm.last_modified_micros(rng, p, sim.lifecycle, times, conversion, tasks, created, timeline, cfg)

    webinar_source = np.flatnonzero(p.source == vocab.LEAD_SOURCES.index("Webinar"))
    is_registration = sim.events.kind == activity.KIND_WEBINAR_REGISTRATION
    registration_row = np.concatenate([webinar_source, sim.events.row[is_registration]])
    registration_micros = np.concatenate([created[webinar_source], sim.event_micros[is_registration]])
    in_time = registration_micros < timeline.end_micros
    members, attendance = crm.campaign_member_table(rng, p, s, world.campaigns, registration_row[in_time],
                                                    registration_micros[in_time], created, ids, timeline, cfg)
    tables = [
        ("salesforce.lead", crm.lead_table(rng, p, s, accounts, sim.lifecycle, conversion, last_modified, created,
                                           timeline, cfg)),
        ("salesforce.account", crm.account_table(rng, p, s, accounts, account_start, account_end, lead_start,
                                                 conversion, won, created, timeline, cfg)),
        ("salesforce.contact", crm.contact_table(rng, p, s, conversion, timeline, cfg)),
        ("salesforce.contact", history_contacts),
        ("salesforce.opportunity", crm.opportunity_table(rng, p, s, accounts, conversion, sim.deals, timeline, cfg)),
        ("salesforce.opportunity", history_opportunities),
        ("salesforce.task", crm.task_table(rng, tasks, s, p, conversion, created, ids, timeline, cfg)),
        ("salesforce.campaign_member", members),
        ("salesforce.lead_score_feedback", crm.feedback_table(rng, p, s, sim.lifecycle, created, ids, timeline, cfg)),
        ("product.call_transcripts", crm.transcript_table(rng, tasks, p, s, accounts, conversion, ids, cfg)),
    ]
    if world.params.field_history:
        tables.append(("salesforce.lead_history", crm.lead_history_table(rng, p, s, sim.lifecycle, times, conversion,
                                                                         created, ids, timeline)))
    return tables, attendance


def web_events(rng: np.random.Generator, sim: ChunkSimulation, attendance: crm.WebinarAttendance,
               timeline: Timeline, cfg: GeneratorConfig) -> records.WebEvents:
    """Every page view and track of the chunk before the end date, with the device it happened on.

    Besides the curve-driven events: visits before creation, the form submission (and webinar registration or
    demo request) that created the lead, webinar attendances and trial signups.
    """
    p, events, created = sim.personas, sim.events, sim.created_micros
    web = events.kind != activity.KIND_TASK
    web_form = np.flatnonzero(np.isin(p.source, vocab.WEB_FORM_SOURCES) & ~p.is_duplicate)
    webinar_source = np.flatnonzero(p.source == vocab.LEAD_SOURCES.index("Webinar"))
    demo_form = np.flatnonzero(sim.routing.demo_form)
    signup = sim.trials.name == 0
    # (rows, timestamps, codes, made at creation by the form on the first device)
    parts = [
        (events.row[web], sim.event_micros[web], records.WEB_CODE_OF_KIND[events.kind[web]], False),
        (sim.pre_visits.row, sim.pre_visit_micros, sim.pre_visits.kind, False),
        (web_form, created[web_form], records.TRACK_CODE["form_submitted"], True),
        (webinar_source, created[webinar_source], records.TRACK_CODE["webinar_registered"], True),
        (demo_form, created[demo_form], records.TRACK_CODE["demo_requested"], True),
        (attendance.row, attendance.micros, records.TRACK_CODE["webinar_attended"], False),
        (sim.trials.row[signup], sim.trial_micros[signup], records.TRACK_CODE["trial_started"], False),
    ]
    row = np.concatenate([part[0] for part in parts])
    micros = np.concatenate([part[1] for part in parts])
    code = np.concatenate([np.broadcast_to(part[2], len(part[0])) for part in parts])
    at_creation = np.concatenate([np.full(len(part[0]), part[3]) for part in parts])
    device = p.second_device[row] & ~at_creation & (rng.random(len(row)) < cfg.second_device_event_share)
    keep = micros < timeline.end_micros
    return records.WebEvents(row=row[keep], micros=micros[keep], device=device[keep].astype(np.int64),
                             code=code[keep])


def simulate_chunk(world: World, chunk: int, bounds: tuple[int, int, int, int], ids: records.IdCounters,
                   emit: Callable[[str, pa.Table], None]) -> ChunkStats:
    """Simulate one chunk of whole accounts and hand each of its tables to ``emit``.

    Parameters
    ----------
    world : World
        Run-wide state.
    chunk : int
        Chunk number (selects the chunk's random streams).
    bounds : tuple of int
        ``(first_account, end_account, first_lead, end_lead)``.
    ids : records.IdCounters
        Running id numbers shared by all chunks.
    emit : callable
        Receives ``(table_name, arrow_table)``.
    """
    cfg, timeline, accounts = world.cfg, world.timeline, world.accounts
    account_start, account_end, lead_start, lead_end = bounds
    streams = chunk_streams(world.params.seed, chunk)
    sim = simulate_leads(world, lead_start, lead_end, streams, ids)
    p = sim.personas
    s = records.lead_strings(streams.people, p, accounts, world.skeleton, cfg)

    tables, attendance = salesforce_tables(world, bounds, streams.crm, sim, s, ids)
    for name, table in tables:
        emit(name, table)

    events = web_events(streams.web, sim, attendance, timeline, cfg)
    pages, tracks, identifies = records.web_tables(streams.web, events, p, s, sim.created_micros, ids,
                                                   world.skeleton.n, timeline, cfg)
    emit("segment.pages", pages)
    emit("segment.tracks", tracks)
    emit("segment.identifies", identifies)

    mail = sim.mail
    emit("marketing.email_events", records.email_table(streams.web, mail.row, timeline.micros(mail.day, mail.second),
                                                       mail.event_type, mail.nurture_step, mail.send_day, s, ids,
                                                       timeline))
    keep = sim.trial_micros < timeline.end_micros
    emit("product.trial_events", records.trial_table(sim.trials.row[keep], sim.trial_micros[keep],
                                                     sim.trials.name[keep], p, s, ids))
    emit("signals.company_enrichment", records.enrichment_table(streams.signals, np.arange(account_start, account_end),
                                                                accounts, timeline, cfg))
    surges = activity.intent_surges(streams.signals, accounts, account_start, account_end, world.first_monday,
                                    timeline.n_days, cfg)
    emit("signals.intent_surge", records.intent_table(surges.account, surges.topic, surges.week_day, surges.score,
                                                      accounts, timeline))
    emit("truth.lead_conversion_probability", records.truth_table(sim.truth, sim.routing.worked, s, timeline))
    touched = sim.lifecycle.touched_day < outcomes.NEVER
    converted = sim.conversion.converted
    return ChunkStats(leads=p.n, worked=int(touched.sum()), converted=int(converted.sum()),
                      converted_unworked=int((converted & ~touched).sum()))


def run(params: RunParams, cfg: GeneratorConfig | None = None,
        log: Callable[[str], None] | None = None) -> dict[str, int]:
    """Generate the whole synthetic warehouse into ``params.db``.

    Parameters
    ----------
    params : RunParams
        Command-line parameters.
    cfg : GeneratorConfig, optional
        Hidden coefficients (defaults to :class:`GeneratorConfig`).
    log : callable, optional
        Receives progress and summary lines.

    Returns
    -------
    dict
        Rows written per table, plus ``worked_leads`` (touched by sales before the end date and before any
        conversion), ``converted_leads`` and ``converted_unworked_leads`` (converted with no sales touch).
    """
    cfg = cfg or GeneratorConfig()
    world = make_world(params, cfg)
    ids = records.IdCounters()
    totals = ChunkStats(0, 0, 0, 0)
    tables = {name: spec for name, spec in TABLES.items()
              if name not in OPTIONAL_TABLES or (params.field_history and name == "salesforce.lead_history")}
    with DuckDBWriter(params.db, tables) as writer:
        rng = np.random.default_rng(np.random.SeedSequence([params.seed, STREAM_CAMPAIGNS]))
        writer.append("salesforce.campaign", crm.campaign_table(rng, world.campaigns, world.timeline, cfg))
        for chunk, bounds in enumerate(chunk_bounds(world.accounts, world.chunk_leads)):
            stats = simulate_chunk(world, chunk, bounds, ids, writer.append)
            totals = ChunkStats(*(a + b for a, b in zip(dataclasses.astuple(totals), dataclasses.astuple(stats))))
        rows = dict(writer.rows)
        raw_rows = sum(v for k, v in rows.items() if not k.startswith("truth."))
        writer.append("truth.generator_run", pa.table({
            "seed": [params.seed], "leads": [params.leads],
            "end_date": pa.array([world.timeline.end], pa.date32()),
            "start_date": pa.array([world.timeline.start], pa.date32()),
            "months": [params.months], "drift": [params.drift], "chunk_leads": [world.chunk_leads],
            "worked_leads": [totals.worked], "converted_leads": [totals.converted],
            "converted_unworked_leads": [totals.converted_unworked], "field_history": [params.field_history],
            "truth_rows": [rows["truth.lead_conversion_probability"]], "created_rows": [raw_rows],
            "table_rows": [json.dumps(rows, sort_keys=True)],
            "truth_draws": [params.truth_draws if params.honest_truth else 0], "truth_definition": [truth.DEFINITION],
        }))
        rows = dict(writer.rows)
    rows["worked_leads"] = totals.worked
    rows["converted_leads"] = totals.converted
    rows["converted_unworked_leads"] = totals.converted_unworked
    return rows

