"""Run parameters, the timeline, and every hidden coefficient of the synthetic world.

The generator's conversion formula is a test fixture: it lives here and nowhere else (never in dbt code),
so the package is judged on how well it recovers a world it was not told about.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EPOCH = dt.date(1970, 1, 1)
MICROS_PER_DAY = 86_400_000_000
MICROS_PER_SECOND = 1_000_000
DEFAULT_TRUTH_DRAWS = 32


@dataclass(frozen=True)
class RunParams:
    """What the command line controls.

    Parameters
    ----------
    leads : int
        Number of distinct lead ids to create.
    seed : int
        Seed of every random draw; same seed and parameters give identical tables.
    db : Path
        DuckDB file the raw schemas are written to.
    end_date : datetime.date
        Last day of the timeline: every timestamp is strictly before midnight starting this day.
    months : int
        Length of the timeline in calendar months.
    drift : bool
        Whether buyer behaviour shifts in the last part of the timeline.
    truth_draws : int
        Monte Carlo draws per (account, Monday) for the honest truth (see :mod:`leadscore.generator.truth`).
    honest_truth : bool
        Whether to compute the honest truth at all. It is the generator's costliest step and only the oracle reads
        it, so benchmark-scale runs switch it off: ``true_probability`` is then null, every other table (and
        ``realized_path_probability``) is the same, since the truth's draws take no random stream.
    field_history : bool
        Whether the CRM tracks lead field history: writes ``salesforce.lead_history``. Most orgs do not, so the
        table is absent by default; every other table is the same either way.
    """

    leads: int = 20_000
    seed: int = 42
    db: Path = Path("data/lead_scoring.duckdb")
    end_date: dt.date = dt.date(2026, 6, 30)
    months: int = 24
    drift: bool = True
    truth_draws: int = DEFAULT_TRUTH_DRAWS
    honest_truth: bool = True
    field_history: bool = False


@dataclass(frozen=True)
class Timeline:
    """Day grid of a run: day 0 is ``start``, day ``n_days`` is ``end`` (nothing happens on or after it).

    Parameters
    ----------
    start : datetime.date
        First day of the timeline.
    end : datetime.date
        The end date; events happen on days ``0 .. n_days - 1``.
    """

    start: dt.date
    end: dt.date

    @classmethod
    def from_params(cls, params: RunParams) -> "Timeline":
        """Timeline of ``params.months`` calendar months ending at ``params.end_date``."""
        month_index = params.end_date.year * 12 + params.end_date.month - 1 - params.months
        year, month = divmod(month_index, 12)
        day = min(params.end_date.day, calendar.monthrange(year, month + 1)[1])
        return cls(start=dt.date(year, month + 1, day), end=params.end_date)

    @property
    def n_days(self) -> int:
        """Number of days with events."""
        return (self.end - self.start).days

    @property
    def start_epoch_day(self) -> int:
        """Days from 1970-01-01 to day 0."""
        return (self.start - EPOCH).days

    @property
    def end_micros(self) -> int:
        """Microseconds since the epoch of the end date's midnight, the exclusive upper bound of timestamps."""
        return (self.start_epoch_day + self.n_days) * MICROS_PER_DAY

    def micros(self, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """Epoch microseconds of a timeline day plus seconds into that day."""
        days = self.start_epoch_day + np.asarray(day, dtype=np.int64)
        return days * MICROS_PER_DAY + np.asarray(seconds, dtype=np.int64) * MICROS_PER_SECOND

    def epoch_days(self, day: np.ndarray) -> np.ndarray:
        """Days since 1970-01-01 (Arrow ``date32``) of timeline days."""
        return (self.start_epoch_day + day.astype(np.int64)).astype(np.int32)

    def weekday(self, day: np.ndarray) -> np.ndarray:
        """Weekday of timeline days, Monday = 0."""
        return (self.start.weekday() + day) % 7


@dataclass(frozen=True)
class GeneratorConfig:
    """Every hidden knob of the synthetic world (shares, rates and the conversion hazard).

    Tuples of coefficients are aligned with the tuples of :mod:`leadscore.generator.vocab`.
    """

    # ---- processing ----
    # Leads are simulated on daily grids that run from creation to 90 days past the end date (so the truth of a
    # lead open at the end date has its whole window); a chunk holds about this many grid cells (memory).
    chunk_grid_cells: int = 8_000_000

    # ---- accounts ----
    committee_size_shares: tuple[float, ...] = (0.2, 0.18, 0.15, 0.13, 0.11, 0.09, 0.08, 0.06)
    individual_account_share: float = 0.09  # personal-mailbox people with no company
    student_share_of_individuals: float = 0.3
    account_type_shares: tuple[float, ...] = (0.915, 0.065, 0.015, 0.005)
    prospect_in_crm_share: float = 0.35
    account_website_missing: float = 0.08
    enrichment_missing: float = 0.2
    employees_log_median: float = float(np.log(120.0))
    employees_log_sigma: float = 1.5
    revenue_per_employee_log_median: float = float(np.log(180_000.0))
    revenue_per_employee_log_sigma: float = 0.5
    tech_size_slope: float = 0.35
    episode_count_shares: tuple[float, ...] = (0.45, 0.38, 0.17)
    episode_scale_days: tuple[float, float] = (6.0, 16.0)
    episode_amplitude: tuple[float, float] = (0.6, 1.4)
    episode_lead_timing_share: float = 0.45  # share of an in-market account's leads created in an episode
    volume_growth: float = 0.6  # daily lead volume grows by this fraction over the timeline

    # ---- leads ----
    seniority_shares: tuple[float, ...] = (0.04, 0.43, 0.2, 0.15, 0.1, 0.08)
    department_shares: tuple[float, ...] = (0.24, 0.16, 0.12, 0.14, 0.09, 0.06, 0.08, 0.04, 0.07)
    personal_email_share: float = 0.055  # among people at a company
    odd_email_case: float = 0.05
    odd_title_case: float = 0.07
    odd_title_suffix: float = 0.03
    lead_field_missing: float = 0.25
    lead_website_missing: float = 0.30
    lead_country_differs: float = 0.08
    product_interest_missing: float = 0.4
    interest_account_share: float = 0.4  # correlation of buying interest within a committee
    webinar_affinity_by_seniority: tuple[float, ...] = (-0.5, -0.3, 0.0, 0.4, 0.8, 0.9)  # executives love webinars
    webinar_affinity_noise: float = 0.6
    engagement_noise: float = 0.45
    engagement_interest_loading: float = 0.25
    duplicate_row_share: float = 0.02
    duplicate_person_share: float = 0.024
    duplicate_person_lag_days: tuple[int, int] = (7, 240)
    deleted_share: float = 0.01
    sales_reps: int = 30
    second_device_share: float = 0.35
    second_device_event_share: float = 0.35
    invalid_email_share: float = 0.02

    # ---- activity and the event mix ----
    half_life_days: tuple[float, float] = (15.0, 90.0)
    activity_floor: float = 0.03
    episode_activity_weight: float = 1.5
    # Curve-driven events per unit of daily activity, by kind: pages (pricing, docs, case study, blog, home,
    # product, integrations, careers), then pricing calculator, content download, demo request, webinar
    # registration, sales task. Rate = base * exp(interest * a + evaluation * b + webinar affinity * c).
    event_base_rates: tuple[float, ...] = (0.01, 0.016, 0.008, 0.022, 0.02, 0.016, 0.008, 0.0025,
                                           0.004, 0.006, 0.0012, 0.004, 0.035)
    event_interest_loadings: tuple[float, ...] = (0.8, 0, 0.4, 0, 0, 0.3, 0, 0, 0.8, 0, 1.2, 0, 0)
    event_evaluation_loadings: tuple[float, ...] = (0, 1.0, 0, 0, 0, 0.3, 0.5, 0, 0, 0, 0, 0, 0)
    event_webinar_loadings: tuple[float, ...] = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 0, 1.0, 0)
    technical_docs_multiplier: float = 2.2
    nontechnical_docs_multiplier: float = 0.45
    careers_poor_fit_multiplier: float = 6.0  # interns and students look for jobs
    demo_authority_offset: float = 0.3  # demo requests scale with offset + authority
    task_interest_slope: float = 0.3  # more touches for visibly interested leads
    pre_creation_visits: float = 2.5
    pre_creation_interest_loading: float = 0.3
    pre_creation_non_form_factor: float = 0.25  # leads from lists, events, outbound rarely browse first
    pre_creation_mean_days: float = 9.0
    anonymous_page_share: float = 0.03
    nurture_sends: int = 6
    newsletter_sends: int = 4
    open_logit: tuple[float, float, float] = (-1.0, 0.6, 0.3)  # intercept, log activity, interest
    click_logit: tuple[float, float, float] = (-1.7, 0.7, 0.3)  # intercept, interest, evaluation
    unsubscribe_rate: float = 0.008
    unsubscribe_interest_loading: float = -0.5
    # intercept, evaluation, in-market intensity, technical department
    trial_logit: tuple[float, float, float, float] = (-3.1, 0.9, 0.8, 0.5)
    trial_depth_events: float = 3.0
    trial_depth_loadings: tuple[float, float] = (0.5, 0.3)  # evaluation, interest
    webinar_attendance_logit: tuple[float, float] = (-0.3, 0.8)  # intercept, webinar affinity
    meeting_share: tuple[float, float, float] = (0.08, 0.4, 0.3)  # base, interest loading, cap
    transcript_share_of_calls: float = 0.6
    pain_phrase_logit: tuple[float, float] = (-0.6, 1.2)  # intercept, evaluation x (0.5 + technical fit)
    budget_phrase_logit: tuple[float, float] = (-2.0, 2.2)  # intercept, authority x interest
    timeline_phrase_logit: tuple[float, float] = (-1.8, 3.0)  # intercept, in-market intensity
    no_budget_phrase_logit: tuple[float, float] = (-1.5, -1.0)  # intercept, interest
    objection_phrase_logit: tuple[float, float, float] = (-2.0, -1.0, 2.0)  # intercept, interest, student/intern
    intent_score_scale: float = 2.5  # score = 100 * (1 - exp(-scale * (in-market x topic relevance)^2))
    intent_background_surges: float = 1.5
    feedback_share: float = 0.04

    # ---- routing: reps work leads by a points rule on what they see at creation ----
    routing_seniority_points: tuple[float, ...] = (-10.0, 0.0, 10.0, 15.0, 20.0, 25.0)
    routing_size_bounds: tuple[float, ...] = (50.0, 200.0, 1000.0)  # employees on the lead row (missing: 0 points)
    routing_size_points: tuple[float, ...] = (0.0, 5.0, 10.0, 15.0)
    routing_source_points: tuple[float, ...] = (10.0, 10.0, 5.0, 0.0, 5.0, 15.0, 40.0, -5.0)
    routing_demo_request_points: float = 30.0  # the lead was created by the "request a demo" form
    routing_personal_email_points: float = -10.0
    routing_bar: float = 20.0
    routing_softness: float = 4.0  # P(worked) = sigmoid((points - bar) / softness): a few exceptions either way
    routing_delay_days: tuple[float, float] = (1.0, 12.0)  # mean first-touch delay: a + b * exp(-(points - bar) / 10)
    routing_max_delay_days: int = 28
    demo_form_logit: tuple[float, float, float] = (-2.2, 0.8, 1.0)  # intercept, interest, authority (web forms)
    # Conversion hazard of a lead nobody in sales works (never routed, not touched yet, or disqualified): the
    # self-serve path (a trial that turns into a purchase, an inbound request marketing converts).
    unworked_hazard_factor: float = 0.06
    # The sales team adopted the CRM at the start of the timeline: conversions were rare while it ramped up.
    ramp_start_factor: float = 0.06
    ramp_mid_days: float = 100.0
    ramp_width_days: float = 6.0

    # ---- conversion hazard: h(d) = base * exp(eta(d)) * activity(d) ----
    base_hazard: float = 0.0006
    authority: tuple[float, ...] = (0.0, 0.3, 0.6, 0.85, 1.0, 1.0)
    technical_fit_technical: tuple[float, ...] = (0.1, 0.8, 1.0, 0.7, 0.35, 0.2)
    technical_fit_other_factor: float = 0.25
    beta_interest_authority: float = 1.1
    beta_evaluation_technical: float = 0.9
    drift_interest_authority: float = -0.55
    drift_evaluation_technical: float = 0.6
    drift_size: float = 0.45  # per decade of employees above 300
    drift_center: float = 0.75  # fraction of the timeline where the shift is half done
    drift_width: float = 0.03
    size_fit_log10_employees: tuple[float, ...] = (0.7, 1.3, 2.0, 3.0, 4.0, 4.7)
    size_fit_values: tuple[float, ...] = (-0.9, -0.5, 0.1, 0.55, 0.7, 0.5)
    industry_fit: tuple[float, ...] = (0.5, 0.4, 0.0, 0.2, -0.2, 0.1, -0.4, 0.1, -0.1, -0.2)
    icp_technology_weight: float = 0.22
    icp_technology_center: float = 1.5
    country_fit: tuple[float, ...] = (0.2, 0.1, 0.1, 0.1, 0.0, 0.1, 0.1, -0.3, -0.3, 0.0, -0.1)
    source_fit: tuple[float, ...] = (0.1, 0.0, 0.0, -0.3, 0.1, 0.3, -0.3, -0.5)
    customer_fit: float = 0.3
    competitor_fit: float = -3.5
    partner_fit: float = -0.3
    student_fit: float = -2.5
    individual_fit: float = -2.0
    personal_email_fit: float = -0.4
    beta_in_market: float = 1.0
    beta_committee: float = 0.35
    beta_trial: float = 0.45

    # ---- outcomes ----
    # A rep reviews each worked lead once, some weeks after the first touch, and disqualifies it (status
    # Unqualified; the rep stops working it) with chance sigmoid(intercept + poor_fit * is_poor_fit).
    review_days: tuple[int, int] = (21, 90)
    unqualified_intercept: float = -0.6
    unqualified_poor_fit: float = 1.8
    nurturing_share: float = 0.6  # kept leads a rep moves from Working to Nurturing at the review
    # Admin mass updates (owner reassignment, field backfills) touch a share of the existing lead rows, so
    # last_modified_date is sometimes later than the lead's close: (fraction of the timeline, share of rows).
    mass_updates: tuple[tuple[float, float], ...] = ((0.55, 0.3), (0.9, 0.2))
    opportunity_close_days: tuple[int, int] = (30, 120)
    win_rate: float = 0.3
    win_fit_weight: float = 0.4
    win_buying_weight: float = 0.3  # authority x interest
    amount_median: float = 15_000.0
    amount_size_elasticity: float = 0.45
    amount_sigma: float = 0.6
    amount_missing: tuple[float, float, float] = (0.2, 0.3, 0.4)  # won, lost, open deals with no amount entered
    # Enrichment rows are refreshed in place: enriched_at is the last refresh, days before the end date.
    enrichment_refresh_mean_days: float = 35.0
    enrichment_stale_share: float = 0.15  # rows not refreshed for up to a year


def drift_weight(day: np.ndarray, n_days: int, cfg: GeneratorConfig, drift: bool) -> np.ndarray:
    """How far the buyer-behaviour shift has progressed on each timeline day (0 before, 1 after).

    Parameters
    ----------
    day : numpy.ndarray
        Timeline days (may lie beyond the end date).
    n_days : int
        Length of the timeline.
    cfg : GeneratorConfig
        Coefficients.
    drift : bool
        When False the weight is zero everywhere.

    Returns
    -------
    numpy.ndarray
        Weights in [0, 1], float32.
    """
    if not drift:
        return np.zeros(np.shape(day), dtype=np.float32)
    z = (np.asarray(day, dtype=np.float64) / n_days - cfg.drift_center) / cfg.drift_width
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def ramp_log_factor(day: np.ndarray, cfg: GeneratorConfig) -> np.ndarray:
    """Log of the factor the sales team's ramp-up puts on every conversion hazard, per timeline day.

    The team adopted the CRM at the start of the timeline, so its first quarter holds few conversions (and
    few won deals): the factor rises from ``ramp_start_factor`` to 1 around day ``ramp_mid_days``.

    Returns
    -------
    numpy.ndarray
        Log factors with the shape of ``day``, float32.
    """
    z = (np.asarray(day, dtype=np.float64) - cfg.ramp_mid_days) / cfg.ramp_width_days
    factor = cfg.ramp_start_factor + (1.0 - cfg.ramp_start_factor) / (1.0 + np.exp(-z))
    return np.log(factor).astype(np.float32)
