"""Routing (who sales works, from when), the daily conversion hazard, conversion draws, reviews and
disqualification, deal outcomes, lead status and the truth snapshots.

The hidden formula, for a lead ``i`` on day ``d`` of its life::

    h_i(d) = base * exp(eta_i(d)) * activity_i(d) * ramp(t) * work_i(d)
    eta_i(d) = fit_i                                    (size, industry, ICP tech, country, source, poor fit)
             + b_I(t) * interest_i * authority_i        (a VP on pricing is not an intern on pricing)
             + b_E(t) * evaluation_i * technical_fit_i  (hands-on technical managers reading docs)
             + b_size(t) * (log10 employees - log10 300)
             + b_market * in_market_i(d) + b_committee * log1p(engaged others_i(d))
             + b_trial * log1p(trial events_i(d))

with ``t = created + d`` the calendar day (``b_*(t)`` drift smoothly in the last quarter of the timeline),
``ramp(t)`` the sales team's ramp-up in the first quarter, and ``work_i(d)`` 1 while a rep works the lead
(from its first touch until a review disqualifies it) and ``unworked_hazard_factor`` otherwise: unworked leads
rarely convert, through the self-serve path. Webinar affinity carries no hazard. All coefficients live in
:class:`GeneratorConfig`.

Reps route leads by a points rule on what they see when the lead arrives (title seniority, company size on
the lead row, lead source, a demo request, a personal mailbox): leads above the bar are mostly worked, and
sooner the more points they have; leads below it are mostly passed over. The routing decision and the first
touch day are drawn at creation. A worked lead is reviewed once, weeks after its first touch; the review
disqualifies it with a chance that rises for poor fit, and the rep stops working it.

Truth snapshots are every Monday a lead is open (created before it, not converted or disqualified before it) up
to the end date, and the end date itself (the scoring date) for the leads open then. Their realized-path
probability is computed here from the realized hazard; the honest, Bayes-optimal probability given the world
at the snapshot lives in :mod:`leadscore.generator.truth`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadscore.generator import vocab
from leadscore.generator.config import GeneratorConfig
from leadscore.generator.entities import Accounts, Personas, icp_technology_count
from leadscore.generator.sampling import first_crossing, ragged_arange, sigmoid

TRUTH_WINDOW_DAYS = 90
NEVER = 1 << 40  # day offset of something that does not happen


def demo_form_leads(rng: np.random.Generator, personas: Personas, cfg: GeneratorConfig) -> np.ndarray:
    """Whether each lead was created by the "request a demo" form (some Web and Paid Search leads), likelier
    with buying interest and authority."""
    web = np.isin(personas.source, (vocab.LEAD_SOURCES.index("Web"), vocab.LEAD_SOURCES.index("Paid Search")))
    intercept, interest, authority = cfg.demo_form_logit
    chance = sigmoid(intercept + interest * personas.interest + authority * personas.authority)
    return web & ~personas.is_duplicate & (rng.random(personas.n) < chance)


def routing_points(personas: Personas, accounts: Accounts, demo_form: np.ndarray, cfg: GeneratorConfig) -> np.ndarray:
    """The reps' points rule on what a new lead shows: title seniority, company size as entered on the lead
    (0 points when missing), lead source, a demo request and a personal mailbox."""
    employees = accounts.employees[personas.account].astype(np.float64)
    size_known = ~(personas.firmographics_missing | personas.is_individual)
    size_points = np.asarray(cfg.routing_size_points)[np.searchsorted(cfg.routing_size_bounds, employees,
                                                                      side="right")]
    return (np.asarray(cfg.routing_seniority_points)[personas.seniority]
            + np.where(size_known, size_points, 0.0)
            + np.asarray(cfg.routing_source_points)[personas.source]
            + cfg.routing_demo_request_points * demo_form
            + cfg.routing_personal_email_points * personas.personal_email)


@dataclass(frozen=True)
class Routing:
    """Who sales works and when: routing points, the demo-request form, the decision, the first-touch day offset
    (``NEVER`` when not worked), the review's day offset, its chance to disqualify and its draw."""

    points: np.ndarray
    demo_form: np.ndarray
    worked: np.ndarray
    work_offset: np.ndarray
    review_offset: np.ndarray
    unqualified_chance: np.ndarray
    disqualify: np.ndarray

    @property
    def stop_offset(self) -> np.ndarray:
        """Last worked day offset of the realized path: the review day when it disqualifies, else ``NEVER``."""
        return np.where(self.disqualify, self.review_offset, NEVER)


def route_leads(rng: np.random.Generator, personas: Personas, accounts: Accounts, demo_form: np.ndarray,
                cfg: GeneratorConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Routing points, whether a rep works each lead, and its first-touch delay in days (``NEVER`` when not).

    Leads above the bar are mostly worked, below it mostly passed over; the more points, the sooner the first
    touch. Duplicate-person leads are never worked.
    """
    points = routing_points(personas, accounts, demo_form, cfg)
    margin = points - cfg.routing_bar
    worked = (rng.random(personas.n) < sigmoid(margin / cfg.routing_softness)) & ~personas.is_duplicate
    fastest, slowest = cfg.routing_delay_days
    delay = np.floor(rng.exponential(fastest + slowest * np.exp(-np.clip(margin, -50.0, 50.0) / 10.0)))
    delay = np.minimum(delay.astype(np.int64), cfg.routing_max_delay_days)
    return points, worked, np.where(worked, delay, NEVER)


def review_leads(rng: np.random.Generator, worked: np.ndarray, work_offset: np.ndarray, poor_fit: np.ndarray,
                 cfg: GeneratorConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one review of each worked lead: its day offset, its chance to disqualify, and the draw.

    Returns
    -------
    tuple of numpy.ndarray
        ``(review_offset, unqualified_chance, disqualify)``; ``NEVER``, 0 and False for unworked leads.
    """
    low, high = cfg.review_days
    lag = rng.integers(low, high + 1, len(worked))
    chance = np.where(worked, sigmoid(cfg.unqualified_intercept + cfg.unqualified_poor_fit * poor_fit), 0.0)
    disqualify = worked & (rng.random(len(worked)) < chance)
    return np.where(worked, work_offset + lag, NEVER), chance, disqualify


def work_log_factor(horizon: int, work_offset: np.ndarray, stop_offset: np.ndarray,
                    cfg: GeneratorConfig) -> np.ndarray:
    """Log of ``work_i(d)`` on each lead's grid: 0 from the first touch through the last worked day, the log of
    ``unworked_hazard_factor`` elsewhere, ``(n, horizon)`` float32."""
    offsets = np.arange(horizon)[None, :]
    worked = (offsets >= np.asarray(work_offset)[:, None]) & (offsets <= np.asarray(stop_offset)[:, None])
    return np.where(worked, np.float32(0.0), np.float32(np.log(cfg.unworked_hazard_factor)))


def firmographic_fit(personas: Personas, accounts: Accounts, cfg: GeneratorConfig) -> np.ndarray:
    """Static log-hazard of fit: company size, industry, ideal-customer technologies, country, source and
    poor-fit penalties (students, competitors, personal mailboxes, people with no company)."""
    account = personas.account
    is_company = ~personas.is_individual
    log10_employees = np.log10(accounts.employees[account])
    fit = np.interp(log10_employees, cfg.size_fit_log10_employees, cfg.size_fit_values)
    fit += np.where(is_company, np.asarray(cfg.industry_fit)[accounts.industry[account]], 0.0)
    fit += cfg.icp_technology_weight * (icp_technology_count(accounts.tech_mask[account]) - cfg.icp_technology_center)
    fit += np.asarray(cfg.country_fit)[personas.country]
    fit += np.asarray(cfg.source_fit)[personas.source]
    account_type = accounts.account_type[account]
    fit += np.select([account_type == 1, account_type == 2, account_type == 3],
                     [cfg.customer_fit, cfg.partner_fit, cfg.competitor_fit], 0.0)
    fit += cfg.student_fit * personas.is_student
    fit += cfg.individual_fit * (personas.is_individual & ~personas.is_student)
    fit += cfg.personal_email_fit * (personas.personal_email & is_company)
    return fit


@dataclass(frozen=True)
class LogHazardTerms:
    """Per-lead parts of ``eta``: ``static`` before drift and ``drift_slope`` multiplied by the drift weight."""

    fit: np.ndarray
    static: np.ndarray
    drift_slope: np.ndarray


def log_hazard_terms(personas: Personas, accounts: Accounts, cfg: GeneratorConfig) -> LogHazardTerms:
    """Split ``eta`` into its per-lead constant and the per-lead slope on the drift weight."""
    fit = firmographic_fit(personas, accounts, cfg)
    buying = personas.interest * personas.authority
    technical = personas.evaluation * personas.technical_fit
    size = np.where(personas.is_individual, 0.0, np.log10(accounts.employees[personas.account]) - np.log10(300.0))
    static = fit + cfg.beta_interest_authority * buying + cfg.beta_evaluation_technical * technical
    slope = (cfg.drift_interest_authority * buying + cfg.drift_evaluation_technical * technical
             + cfg.drift_size * size)
    return LogHazardTerms(fit=fit, static=static, drift_slope=slope)


def daily_hazard(terms: LogHazardTerms, created_day: np.ndarray, activity: np.ndarray, in_market: np.ndarray,
                 committee: np.ndarray, trial_depth: np.ndarray, drift_by_day: np.ndarray,
                 ramp_by_day: np.ndarray, work_log: np.ndarray, cfg: GeneratorConfig) -> np.ndarray:
    """Daily conversion hazard on each lead's grid; zero on the creation day.

    Parameters
    ----------
    terms : LogHazardTerms
        Per-lead parts of the log hazard.
    created_day : numpy.ndarray
        Creation day of each lead.
    activity, in_market, committee, trial_depth : numpy.ndarray
        ``(n, L)`` daily activity, account in-market intensity, engaged other committee members and trial
        events to date.
    drift_by_day, ramp_by_day : numpy.ndarray
        Drift weight and log ramp-up factor of every calendar day the grids reach.
    work_log : numpy.ndarray
        ``(n, L)`` log work factor (:func:`work_log_factor`).
    cfg : GeneratorConfig
        Coefficients.

    Returns
    -------
    numpy.ndarray
        ``(n, L)`` float64 hazard.
    """
    horizon = activity.shape[1]
    calendar = created_day[:, None] + np.arange(horizon)[None, :]
    eta = terms.static.astype(np.float32)[:, None] + ramp_by_day[calendar]
    eta += drift_by_day[calendar] * terms.drift_slope.astype(np.float32)[:, None]
    eta += work_log
    eta += np.float32(cfg.beta_in_market) * in_market
    eta += np.float32(cfg.beta_committee) * np.log1p(committee)
    eta += np.float32(cfg.beta_trial) * np.log1p(trial_depth)
    hazard = cfg.base_hazard * np.exp(eta.astype(np.float64)) * activity
    hazard[:, 0] = 0.0
    return hazard


def draw_conversion(rng: np.random.Generator, cumulative_hazard: np.ndarray, created_day: np.ndarray,
                    n_days: int) -> np.ndarray:
    """Conversion day offset of each lead (-1 when none is observed by the end date).

    An Exp(1) threshold is compared with the cumulative hazard: the lead converts on the first day the
    cumulative hazard reaches it (worked or not: the hazard carries the work factor).
    """
    threshold = rng.exponential(1.0, len(created_day))
    offset = first_crossing(cumulative_hazard, threshold)
    observed = (offset < cumulative_hazard.shape[1]) & (created_day + offset < n_days)
    return np.where(observed, offset, -1)


@dataclass(frozen=True)
class Opportunities:
    """Deal of each converted lead: amount, close day offset from conversion, and outcome flags."""

    amount: np.ndarray
    close_day: np.ndarray
    is_closed: np.ndarray
    is_won: np.ndarray
    open_stage: np.ndarray


def opportunity_outcomes(rng: np.random.Generator, fit: np.ndarray, buying: np.ndarray, employees: np.ndarray,
                         converted_day: np.ndarray, n_days: int, cfg: GeneratorConfig) -> Opportunities:
    """Amount (lognormal, scaled by company size), close day 30-120 days after conversion, won more often
    for better fit and a buyer with authority and interest; a deal still open at the end date keeps its
    expected close date.

    Returns
    -------
    Opportunities
        Open stages index :data:`vocab.OPEN_STAGES` by how far the deal has progressed.
    """
    n = len(fit)
    log_amount = (np.log(cfg.amount_median) + cfg.amount_size_elasticity * np.log(employees / 100.0)
                  + rng.normal(0.0, cfg.amount_sigma, n))
    amount = np.maximum(np.round(np.exp(log_amount), -2), 500.0)
    length = rng.integers(cfg.opportunity_close_days[0], cfg.opportunity_close_days[1] + 1, n)
    close_day = converted_day + length
    is_closed = close_day < n_days
    p_win = sigmoid(np.log(cfg.win_rate / (1.0 - cfg.win_rate)) + cfg.win_fit_weight * fit
                    + cfg.win_buying_weight * buying)
    is_won = is_closed & (rng.random(n) < p_win)
    progress = (n_days - converted_day) / length
    open_stage = np.minimum((progress * 4).astype(np.int64), 3)
    return Opportunities(amount=amount, close_day=close_day, is_closed=is_closed, is_won=is_won,
                         open_stage=open_stage)


@dataclass(frozen=True)
class Lifecycle:
    """What the CRM saw of each lead by the end date, as calendar days (``NEVER`` when it did not happen).

    ``touched_day``: first sales touch (the status goes Open -> Working). ``review_day``: the review, when it
    happened while the lead was open; it either disqualified the lead (``disqualified``: Unqualified) or moved it
    to Nurturing (``nurtured``) or left it Working. ``close_day``: conversion or disqualification, whichever came
    first. ``status`` indexes :data:`vocab.LEAD_STATUSES` at the end date.
    """

    touched_day: np.ndarray
    review_day: np.ndarray
    disqualified: np.ndarray
    nurtured: np.ndarray
    converted_day: np.ndarray
    close_day: np.ndarray
    status: np.ndarray


def lead_lifecycle(rng: np.random.Generator, routing: Routing, created_day: np.ndarray, converted_offset: np.ndarray,
                   n_days: int, cfg: GeneratorConfig) -> Lifecycle:
    """Dated status changes of each lead and its status at the end date.

    A rep's first touch counts when it comes on or before the conversion day; a review counts when it comes
    before the conversion (a lead that converts on its review day is not reviewed). A disqualified lead may
    still convert later through the self-serve path (its status then ends Converted).
    """
    converted = converted_offset >= 0
    converted_day = np.where(converted, created_day + converted_offset, NEVER)
    work_day = np.where(routing.worked, created_day + routing.work_offset, NEVER)
    touched = routing.worked & (work_day < n_days) & (work_day <= converted_day)
    review_day = np.where(routing.worked, created_day + routing.review_offset, NEVER)
    reviewed = touched & (review_day < n_days) & (review_day < converted_day)
    disqualified = reviewed & routing.disqualify
    nurtured = reviewed & ~routing.disqualify & (rng.random(len(created_day)) < cfg.nurturing_share)
    status = np.select([converted, disqualified, nurtured, touched], [4, 3, 2, 1], 0)
    return Lifecycle(
        touched_day=np.where(touched, work_day, NEVER),
        review_day=np.where(reviewed, review_day, NEVER),
        disqualified=disqualified,
        nurtured=nurtured,
        converted_day=converted_day,
        close_day=np.minimum(converted_day, np.where(disqualified, review_day, NEVER)),
        status=status,
    )


@dataclass(frozen=True)
class TruthSnapshots:
    """Weekly truth rows: chunk-local lead row, as-of day (a Monday) and two 90-day probabilities.

    ``probability`` is the honest one, given the state of the world at the Monday (see
    :mod:`leadscore.generator.truth`); ``realized_path_probability`` is given the realized future path too.
    """

    row: np.ndarray
    as_of_day: np.ndarray
    probability: np.ndarray
    realized_path_probability: np.ndarray


def snapshot_schedule(created_day: np.ndarray, close_day: np.ndarray, first_monday: int,
                      n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunk-local lead row and day of every truth snapshot: each Monday ``t`` a lead is open, that is
    ``created < t <= min(close, end)`` (the package's weekly grid is anchored on a Monday), and the end date (the
    scoring date) for every lead open then. Snapshots are sorted by row, then day.

    Parameters
    ----------
    created_day : numpy.ndarray
        Creation day of each lead.
    close_day : numpy.ndarray
        Day the lead converted or was disqualified (a lead is still open at the start of that day), or a day
        after the end date.
    first_monday : int
        Day index of the first Monday of the timeline.
    n_days : int
        Index of the end date.
    """
    first = created_day + 1 + np.mod(first_monday - created_day - 1, 7)
    upper = np.minimum(close_day, n_days)
    count = np.where(upper >= first, (upper - first) // 7 + 1, 0)
    end_is_monday = (n_days - first_monday) % 7 == 0
    scored = (created_day < n_days) & (close_day >= n_days) & (not end_is_monday)
    row, k = ragged_arange(count + scored)
    day = np.where(k < count[row], first[row] + 7 * k, n_days)
    return row, day


def realized_path_probability(cumulative_hazard: np.ndarray, created_day: np.ndarray, row: np.ndarray,
                              as_of_day: np.ndarray) -> np.ndarray:
    """Probability of converting within 90 days of each snapshot given the realized future path:
    ``1 - exp(-(H(t + 90) - H(t)))`` with ``H`` the cumulative daily hazard before a day, computed from the
    realized activity (future episodes included), committee and trial events.

    Parameters
    ----------
    cumulative_hazard : numpy.ndarray
        ``(n, L)`` inclusive cumulative hazard, reaching 90 days past every snapshot.
    created_day : numpy.ndarray
        Creation day of each lead.
    row, as_of_day : numpy.ndarray
        Snapshots from :func:`snapshot_schedule`.
    """
    offset = as_of_day - created_day[row]
    before = cumulative_hazard[row, offset - 1]
    after = cumulative_hazard[row, offset + TRUTH_WINDOW_DAYS - 1]
    return -np.expm1(-(after - before))
