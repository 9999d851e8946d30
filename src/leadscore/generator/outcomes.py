"""Who sales works, the daily conversion hazard, conversion draws, deal outcomes, lead status, truth snapshots.

The hidden formula, for a worked lead ``i`` on day ``d`` of its life::

    h_i(d) = base * exp(eta_i(d)) * activity_i(d)
    eta_i(d) = fit_i                                    (size, industry, ICP tech, country, source, poor fit)
             + b_I(t) * interest_i * authority_i        (a VP on pricing is not an intern on pricing)
             + b_E(t) * evaluation_i * technical_fit_i  (hands-on technical managers reading docs)
             + b_size(t) * (log10 employees - log10 300)
             + b_market * in_market_i(d) + b_committee * log1p(engaged others_i(d))
             + b_trial * log1p(trial events_i(d))

with ``t = created + d`` the calendar day (``b_*(t)`` drift smoothly in the last quarter of the timeline).
Webinar affinity carries no hazard. All coefficients live in :class:`GeneratorConfig`.

Truth snapshots are weekly Mondays of each lead's first 182 days while it is open. Their realized-path
probability is computed here from the realized hazard; the honest, Bayes-optimal probability given the
world at the Monday lives in :mod:`leadscore.generator.truth`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadscore.generator.config import GeneratorConfig
from leadscore.generator.entities import Accounts, Personas, icp_technology_count
from leadscore.generator.sampling import first_crossing, ragged_arange, sigmoid

TRUTH_WINDOW_DAYS = 90
TRUTH_MAX_AGE_DAYS = 182


def decide_worked(rng: np.random.Generator, personas: Personas, cfg: GeneratorConfig) -> np.ndarray:
    """Whether sales works each lead: likelier with a better simple rules score (seniority, source).

    Duplicate-person leads are never worked.
    """
    score = (cfg.work_intercept + np.asarray(cfg.work_seniority_points)[personas.seniority]
             + np.asarray(cfg.work_source_points)[personas.source]
             + cfg.work_personal_email_points * personas.personal_email)
    return (rng.random(personas.n) < sigmoid(score)) & ~personas.is_duplicate


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
                 cfg: GeneratorConfig) -> np.ndarray:
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
    drift_by_day : numpy.ndarray
        Drift weight of every calendar day the grids reach.
    cfg : GeneratorConfig
        Coefficients.

    Returns
    -------
    numpy.ndarray
        ``(n, L)`` float64 hazard.
    """
    horizon = activity.shape[1]
    drift = drift_by_day[created_day[:, None] + np.arange(horizon)[None, :]]
    eta = terms.static.astype(np.float32)[:, None] + drift * terms.drift_slope.astype(np.float32)[:, None]
    eta += np.float32(cfg.beta_in_market) * in_market
    eta += np.float32(cfg.beta_committee) * np.log1p(committee)
    eta += np.float32(cfg.beta_trial) * np.log1p(trial_depth)
    hazard = cfg.base_hazard * np.exp(eta.astype(np.float64)) * activity
    hazard[:, 0] = 0.0
    return hazard


def draw_conversion(rng: np.random.Generator, cumulative_hazard: np.ndarray, worked: np.ndarray,
                    created_day: np.ndarray, n_days: int) -> np.ndarray:
    """Conversion day offset of each lead (-1 when none is observed by the end date).

    An Exp(1) threshold is compared with the cumulative hazard: the lead converts on the first day the
    cumulative hazard reaches it. Only worked leads can convert.
    """
    threshold = rng.exponential(1.0, len(worked))
    offset = first_crossing(cumulative_hazard, threshold)
    observed = worked & (offset < cumulative_hazard.shape[1]) & (created_day + offset < n_days)
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


def lead_status(rng: np.random.Generator, worked: np.ndarray, converted: np.ndarray, created_day: np.ndarray,
                poor_fit: np.ndarray, n_days: int, cfg: GeneratorConfig) -> np.ndarray:
    """Current status index into :data:`vocab.LEAD_STATUSES` (Open, Working, Nurturing, Unqualified, Converted).

    Never-worked leads stay Open; young worked leads are Working or Nurturing; older ones are often
    Unqualified, more so for poor fit.
    """
    n = len(worked)
    age = n_days - created_day
    young_status = np.where(rng.random(n) < 0.7, 1, 2)
    unqualified = rng.random(n) < sigmoid(cfg.unqualified_intercept + cfg.unqualified_poor_fit * poor_fit)
    old_status = np.where(unqualified, 3, np.where(rng.random(n) < 0.8, 2, 1))
    status = np.where(age <= cfg.unqualified_age_days, young_status, old_status)
    status = np.where(converted, 4, status)
    return np.where(worked | converted, status, 0)


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


def snapshot_schedule(created_day: np.ndarray, converted_offset: np.ndarray, first_monday: int,
                      n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunk-local lead row and day of every truth snapshot: the Mondays ``t`` with
    ``created < t <= min(converted, created + 182 days, end)``. Never-worked leads get snapshots too (the
    probabilities they would have had if worked).

    Parameters
    ----------
    created_day : numpy.ndarray
        Creation day of each lead.
    converted_offset : numpy.ndarray
        Realised conversion offset, -1 when none.
    first_monday : int
        Day index of the first Monday of the timeline.
    n_days : int
        Index of the end date.
    """
    first = created_day + 1 + np.mod(first_monday - created_day - 1, 7)
    upper = np.minimum(created_day + TRUTH_MAX_AGE_DAYS, n_days)
    upper = np.where(converted_offset >= 0, np.minimum(upper, created_day + converted_offset), upper)
    count = np.where(upper >= first, (upper - first) // 7 + 1, 0)
    row, k = ragged_arange(count)
    return row, first[row] + 7 * k


def realized_path_probability(cumulative_hazard: np.ndarray, created_day: np.ndarray, row: np.ndarray,
                              as_of_day: np.ndarray) -> np.ndarray:
    """Probability of converting within 90 days of each snapshot given the realized future path:
    ``1 - exp(-(H(t + 90) - H(t)))`` with ``H`` the cumulative daily hazard before a day, computed from the
    realized activity (future episodes included), committee and trial events.

    Parameters
    ----------
    cumulative_hazard : numpy.ndarray
        ``(n, L)`` inclusive cumulative hazard (``L > 182 + 90``).
    created_day : numpy.ndarray
        Creation day of each lead.
    row, as_of_day : numpy.ndarray
        Snapshots from :func:`snapshot_schedule`.
    """
    offset = as_of_day - created_day[row]
    before = cumulative_hazard[row, offset - 1]
    after = cumulative_hazard[row, offset + TRUTH_WINDOW_DAYS - 1]
    return -np.expm1(-(after - before))
