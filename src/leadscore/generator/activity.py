"""Activity curves and the events sampled from them (web, tracks, email, trial, sales touches, intent).

Each lead has a daily activity curve on a grid of ``horizon`` days from its creation: a decaying baseline
plus its account's in-market episode bumps. Event counts are Poisson with intensity proportional to the
curve's mass and event days are drawn from the curve by inverse CDF, all on chunk matrices at once.
Events are simulated on the whole grid, also beyond the end date (the world goes on); callers drop what
falls after the end date when writing tables.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadscore.generator import vocab
from leadscore.generator.config import GeneratorConfig
from leadscore.generator.entities import Accounts, Personas
from leadscore.generator.sampling import business_seconds, ragged_arange, sample_rows_from_curves, sigmoid

# Kinds of curve-driven events: the eight page kinds, then these tracks, then sales tasks.
PAGE_KIND_COUNT = len(vocab.PAGE_KINDS)
KIND_DOCS = vocab.PAGE_KINDS.index("docs")
KIND_CAREERS = vocab.PAGE_KINDS.index("careers")
KIND_PRICING_CALCULATOR = PAGE_KIND_COUNT
KIND_CONTENT_DOWNLOAD = PAGE_KIND_COUNT + 1
KIND_DEMO_REQUEST = PAGE_KIND_COUNT + 2
KIND_WEBINAR_REGISTRATION = PAGE_KIND_COUNT + 3
KIND_TASK = PAGE_KIND_COUNT + 4
N_CURVE_KINDS = PAGE_KIND_COUNT + 5
# Events that show a lead is engaged (for the committee signal): pricing, docs, calculator, demo request.
ENGAGED_KINDS = (0, 1, KIND_PRICING_CALCULATOR, KIND_DEMO_REQUEST)
# A trial usage event follows its signup by min(floor(Exp(mean 6 days)), 30) days.
TRIAL_USAGE_MEAN_LAG_DAYS = 6.0
TRIAL_USAGE_MAX_LAG_DAYS = 30
TRACK_NAME_OF_KIND = {
    KIND_PRICING_CALCULATOR: "pricing_calculator_used",
    KIND_CONTENT_DOWNLOAD: "content_downloaded",
    KIND_DEMO_REQUEST: "demo_requested",
    KIND_WEBINAR_REGISTRATION: "webinar_registered",
}


@dataclass(frozen=True)
class CurveEvents:
    """Events drawn from the activity curves: chunk-local lead row, kind and day offset from creation."""

    row: np.ndarray
    kind: np.ndarray
    offset: np.ndarray


def episode_intensity(day: np.ndarray, start: np.ndarray, scale: np.ndarray, amplitude: np.ndarray) -> np.ndarray:
    """In-market intensity of accounts on given days: a sum of gamma-shaped bumps peaking at 1 x amplitude.

    Parameters
    ----------
    day : numpy.ndarray
        Days, shape ``(n,)`` or ``(n, m)``; row ``i`` belongs to the account of parameter row ``i``.
    start, scale, amplitude : numpy.ndarray
        Episode parameters, shape ``(n, episodes)``.

    Returns
    -------
    numpy.ndarray
        Intensity with the shape of ``day``, float32.
    """
    day = np.asarray(day, dtype=np.float32)
    out = np.zeros(day.shape, dtype=np.float32)
    extra = (None,) * (day.ndim - 1)
    for e in range(start.shape[1]):
        x = (day - start[(slice(None), e) + extra]) / scale[(slice(None), e) + extra]
        x = np.maximum(x, 0.0)
        out += amplitude[(slice(None), e) + extra] * x * np.exp(1.0 - x)
    return out


def lead_episode_intensity(day: np.ndarray, accounts: Accounts, account: np.ndarray) -> np.ndarray:
    """:func:`episode_intensity` for days of leads (rows) given each lead's account."""
    return episode_intensity(day, accounts.episode_start[account], accounts.episode_scale[account],
                             accounts.episode_amplitude[account])


def activity_grid(personas: Personas, accounts: Accounts, horizon: int,
                  cfg: GeneratorConfig) -> tuple[np.ndarray, np.ndarray]:
    """Daily activity of each lead over ``horizon`` days from creation, and its account's in-market intensity.

    Returns
    -------
    tuple of numpy.ndarray
        ``(activity, in_market)``, both ``(n, horizon)`` float32.
    """
    offsets = np.arange(horizon, dtype=np.float32)
    calendar = personas.created_day[:, None].astype(np.float32) + offsets[None, :]
    in_market = lead_episode_intensity(calendar, accounts, personas.account)
    decay = np.float32(np.log(2.0)) / personas.half_life.astype(np.float32)
    baseline = np.exp(-decay[:, None] * offsets[None, :]) + np.float32(cfg.activity_floor)
    activity = personas.engagement.astype(np.float32)[:, None] * baseline
    responsiveness = personas.responsiveness.astype(np.float32)[:, None]
    activity += np.float32(cfg.episode_activity_weight) * responsiveness * in_market
    return activity, in_market


def curve_event_rates(personas: Personas, worked: np.ndarray, cfg: GeneratorConfig) -> np.ndarray:
    """Events per unit of activity, per lead and curve-driven kind; the mix follows latents and persona.

    Pricing views rise with interest, docs with technical evaluation (more in technical departments),
    webinars with webinar affinity; careers pages attract students and interns. Duplicate-person leads
    have no activity of their own.

    Returns
    -------
    numpy.ndarray
        ``(n, N_CURVE_KINDS)`` rates.
    """
    loadings = np.column_stack([personas.interest, personas.evaluation, personas.webinar_affinity])
    weights = np.array([cfg.event_interest_loadings, cfg.event_evaluation_loadings, cfg.event_webinar_loadings])
    rates = np.asarray(cfg.event_base_rates)[None, :] * np.exp(loadings @ weights)
    rates[:, KIND_DOCS] *= np.where(personas.is_technical, cfg.technical_docs_multiplier,
                                    cfg.nontechnical_docs_multiplier)
    rates[:, KIND_CAREERS] *= np.where(personas.seniority == 0, cfg.careers_poor_fit_multiplier, 1.0)
    rates[:, KIND_DEMO_REQUEST] *= cfg.demo_authority_offset + personas.authority
    rates[:, KIND_TASK] *= worked * (1.0 + cfg.task_interest_slope * np.maximum(personas.interest, 0.0))
    return rates * (~personas.is_duplicate)[:, None]


def sample_curve_events(rng: np.random.Generator, activity_cumsum: np.ndarray, rates: np.ndarray) -> CurveEvents:
    """Poisson counts per lead and kind (rate x curve mass), event days drawn from the curve.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source.
    activity_cumsum : numpy.ndarray
        ``(n, L)`` cumulative activity along each row, float64.
    rates : numpy.ndarray
        ``(n, K)`` events per unit of activity.
    """
    mass = activity_cumsum[:, -1]
    counts = rng.poisson(rates * mass[:, None])
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    row, kind = np.divmod(cell, rates.shape[1])
    offset = sample_rows_from_curves(rng, activity_cumsum, row)
    return CurveEvents(row=row, kind=kind, offset=offset)


def pre_creation_visits(rng: np.random.Generator, personas: Personas, in_market_at_creation: np.ndarray,
                        page_rates: np.ndarray, cfg: GeneratorConfig) -> CurveEvents:
    """Anonymous page views in the weeks before a lead is created (negative offsets).

    Leads created by a form on the site browse it first; others (lists, events, outbound) rarely do.
    """
    web_form = np.isin(personas.source, vocab.WEB_FORM_SOURCES)
    expected = (cfg.pre_creation_visits * personas.engagement
                * np.exp(cfg.pre_creation_interest_loading * personas.interest) * (1.0 + in_market_at_creation)
                * np.where(web_form, 1.0, cfg.pre_creation_non_form_factor) * ~personas.is_duplicate)
    counts = rng.poisson(expected)
    row = np.repeat(np.arange(personas.n), counts)
    days_before = 1 + np.minimum(rng.exponential(cfg.pre_creation_mean_days, len(row)).astype(np.int64), 44)
    cumulative = np.cumsum(page_rates[row], axis=1)
    kind = (rng.random(len(row))[:, None] * cumulative[:, -1:] > cumulative).sum(axis=1)
    return CurveEvents(row=row, kind=np.minimum(kind, PAGE_KIND_COUNT - 1), offset=-days_before)


def event_seconds(rng: np.random.Generator, offset: np.ndarray, created_second: np.ndarray) -> np.ndarray:
    """Seconds into the day of events; events on the creation day fall after the creation time."""
    seconds = business_seconds(rng, len(offset))
    later = created_second + 1 + (rng.random(len(offset)) * (86_398 - created_second)).astype(np.int64)
    return np.where(offset == 0, np.minimum(later, 86_399), seconds)


def engaged_day(personas: Personas, events: CurveEvents) -> np.ndarray:
    """Calendar day of each lead's second engaged-kind event (pricing, docs, calculator, demo), or -1."""
    mask = np.isin(events.kind, ENGAGED_KINDS)
    row, offset = events.row[mask], events.offset[mask]
    order = np.lexsort((offset, row))
    row, offset = row[order], offset[order]
    counts = np.bincount(row, minlength=personas.n)
    if len(offset) == 0:
        return np.full(personas.n, -1, dtype=np.int64)
    second = offset[np.minimum(np.cumsum(counts) - counts + 1, len(offset) - 1)]
    return np.where(counts >= 2, personas.created_day + second, -1)


def committee_engagement(personas: Personas, accounts: Accounts, lead_start: int, engaged: np.ndarray,
                         horizon: int) -> np.ndarray:
    """Number of *other* engaged members of each lead's buying committee on each day of its grid.

    Parameters
    ----------
    personas : Personas
        Chunk leads (whole committees).
    accounts : Accounts
        All accounts.
    lead_start : int
        Global index of the chunk's first lead.
    engaged : numpy.ndarray
        Calendar day each lead became engaged, -1 never.
    horizon : int
        Grid width.

    Returns
    -------
    numpy.ndarray
        ``(n, horizon)`` float32 counts.
    """
    n = personas.n
    size = accounts.size[personas.account]
    row, position = ragged_arange(size)
    member = accounts.first_lead[personas.account[row]] - lead_start + position
    keep = (member != row) & (engaged[member] >= 0)
    row, member = row[keep], member[keep]
    relative = np.maximum(engaged[member] - personas.created_day[row], 0)
    inside = relative < horizon
    flat = row[inside] * horizon + relative[inside]
    steps = np.bincount(flat, minlength=n * horizon).reshape(n, horizon)
    return np.cumsum(steps, axis=1, dtype=np.float32)


def counts_to_date(row: np.ndarray, offset: np.ndarray, n: int, horizon: int) -> np.ndarray:
    """Cumulative number of events of each row up to and including each grid day, ``(n, horizon)`` float32."""
    inside = (offset >= 0) & (offset < horizon)
    steps = np.bincount(row[inside] * horizon + offset[inside], minlength=n * horizon).reshape(n, horizon)
    return np.cumsum(steps, axis=1, dtype=np.float32)


@dataclass(frozen=True)
class TrialEvents:
    """Free-trial product events: lead row, day offset from lead creation and event-name index."""

    row: np.ndarray
    offset: np.ndarray
    name: np.ndarray


def trial_events(rng: np.random.Generator, personas: Personas, in_market_at_creation: np.ndarray,
                 activity_cumsum: np.ndarray, cfg: GeneratorConfig) -> TrialEvents:
    """Trials for a minority (likelier with high technical evaluation and when in-market): signup, then usage.

    The signup day is drawn from the activity curve; usage events follow within the 30-day trial and their
    number grows with evaluation and interest.
    """
    intercept, evaluation, in_market, technical = cfg.trial_logit
    p = sigmoid(intercept + evaluation * personas.evaluation + in_market * in_market_at_creation
                + technical * personas.is_technical)
    has_trial = (rng.random(personas.n) < p) & ~personas.is_duplicate
    trial_rows = np.flatnonzero(has_trial)
    signup = sample_rows_from_curves(rng, activity_cumsum, trial_rows)
    evaluation_loading, interest_loading = cfg.trial_depth_loadings
    depth = rng.poisson(cfg.trial_depth_events * np.exp(evaluation_loading * personas.evaluation[trial_rows]
                                                        + interest_loading * personas.interest[trial_rows]))
    usage_of = np.repeat(np.arange(len(trial_rows)), depth)
    usage_offset = signup[usage_of] + np.minimum(
        rng.exponential(TRIAL_USAGE_MEAN_LAG_DAYS, len(usage_of)).astype(np.int64), TRIAL_USAGE_MAX_LAG_DAYS)
    shares = np.asarray(vocab.TRIAL_EVENT_SHARES)
    usage_name = rng.choice(len(shares), size=len(usage_of), p=shares / shares.sum())
    return TrialEvents(
        row=np.concatenate([trial_rows, trial_rows[usage_of]]),
        offset=np.concatenate([signup, usage_offset]),
        name=np.concatenate([np.zeros(len(trial_rows), dtype=np.int64), usage_name]),
    )


@dataclass(frozen=True)
class EmailEvents:
    """Marketing email events: lead row, calendar day, seconds, event-type index and the send they belong to.

    ``nurture_step`` is the step of the nurture programme (0 ..) or -1 for a monthly newsletter, whose
    campaign is named after the month of ``send_day``.
    """

    row: np.ndarray
    day: np.ndarray
    second: np.ndarray
    event_type: np.ndarray
    nurture_step: np.ndarray
    send_day: np.ndarray


EMAIL_EVENT_TYPES: tuple[str, ...] = ("sent", "delivered", "open", "click", "bounce", "unsubscribe")


def email_events(rng: np.random.Generator, personas: Personas, activity: np.ndarray, stop_day: np.ndarray,
                 n_days: int, cfg: GeneratorConfig) -> EmailEvents:
    """Nurture emails (weekly) then monthly newsletters; opens follow daily activity, clicks follow interest.

    A bad address bounces on its first send and is suppressed; an unsubscribe ends all later sends;
    conversion (``stop_day``) takes the lead out of nurture.
    """
    n, horizon = activity.shape
    schedule = np.concatenate([1 + 7 * np.arange(cfg.nurture_sends),
                               1 + 7 * cfg.nurture_sends + 28 * np.arange(cfg.newsletter_sends)])
    campaign = np.concatenate([np.arange(cfg.nurture_sends), np.full(cfg.newsletter_sends, -1)])
    offset = np.broadcast_to(schedule, (n, len(schedule)))
    day = personas.created_day[:, None] + offset
    valid = (day < n_days) & (day <= stop_day[:, None]) & ~personas.is_duplicate[:, None]
    level = activity[np.arange(n)[:, None], np.minimum(offset, horizon - 1)]
    a, b, c = cfg.open_logit
    opened = rng.random(offset.shape) < sigmoid(a + b * np.log(level + 0.05) + c * personas.interest[:, None])
    a, b, c = cfg.click_logit
    clicked = opened & (rng.random(offset.shape) < sigmoid(a + b * personas.interest[:, None]
                                                           + c * personas.evaluation[:, None]))
    unsubscribed = rng.random(offset.shape) < cfg.unsubscribe_rate * np.exp(
        cfg.unsubscribe_interest_loading * personas.interest[:, None])
    bounced = np.broadcast_to(personas.invalid_email[:, None], offset.shape)
    # A send happens while no earlier send unsubscribed or bounced.
    stopper = (unsubscribed | bounced) & valid
    earlier_stop = np.cumsum(stopper, axis=1) - stopper
    sent = valid & (earlier_stop == 0)

    send_second = 13 * 3600 + rng.integers(0, 3600, offset.shape)
    open_lag = np.minimum(rng.exponential(5 * 3600.0, offset.shape), 3 * 86_400).astype(np.int64)
    click_lag = 30 + rng.integers(0, 600, offset.shape)
    step = np.broadcast_to(campaign, offset.shape)

    def rows_of(mask: np.ndarray, lag: np.ndarray, kind: int) -> list[np.ndarray]:
        r, c = np.nonzero(mask)
        total = send_second[r, c] + lag[r, c]
        event_day = day[r, c] + total // 86_400
        inside = event_day < n_days
        return [r[inside], event_day[inside], (total % 86_400)[inside], np.full(inside.sum(), kind),
                step[r, c][inside], day[r, c][inside]]

    zero = np.zeros(offset.shape, dtype=np.int64)
    parts = [
        rows_of(sent, zero, 0),
        rows_of(sent & ~bounced, zero + 5, 1),
        rows_of(sent & ~bounced & opened, open_lag, 2),
        rows_of(sent & ~bounced & clicked, open_lag + click_lag, 3),
        rows_of(sent & bounced, zero + 2, 4),
        rows_of(sent & ~bounced & unsubscribed, open_lag + click_lag + 5, 5),
    ]
    columns = [np.concatenate(c) for c in zip(*parts)]
    return EmailEvents(*columns)


@dataclass(frozen=True)
class IntentSurges:
    """Weekly topic surge rows: account (global index), topic index, Monday day index and score."""

    account: np.ndarray
    topic: np.ndarray
    week_day: np.ndarray
    score: np.ndarray


def intent_surges(rng: np.random.Generator, accounts: Accounts, account_start: int, account_end: int,
                  first_monday: int, n_days: int, cfg: GeneratorConfig) -> IntentSurges:
    """Bombora-style weekly topic scores for company domains: high while an account is in-market.

    Only rows scoring 10 or more are kept. A week is reported once it is complete (its Monday is at least
    seven days before the end date).

    Parameters
    ----------
    first_monday : int
        Day index of the first Monday on or after day 0.
    """
    idx = np.arange(account_start, account_end)
    idx = idx[~accounts.is_individual[idx]]
    n_topics = len(vocab.INTENT_TOPICS)
    relevance = np.asarray(vocab.INTENT_TOPIC_RELEVANCE)[None, :] * rng.random((len(idx), n_topics)) ** 2
    weeks_per_episode = 16
    parts: list[tuple[np.ndarray, ...]] = []
    for e in range(accounts.episode_start.shape[1]):
        start = accounts.episode_start[idx, e].astype(np.float64)
        base_week = first_monday + 7 * np.floor((start - 7 - first_monday) / 7.0).astype(np.int64)
        week = base_week[:, None] + 7 * np.arange(weeks_per_episode)[None, :]
        midweek = week + 3
        level = episode_intensity(midweek.astype(np.float32), accounts.episode_start[idx, e:e + 1],
                                  accounts.episode_scale[idx, e:e + 1], accounts.episode_amplitude[idx, e:e + 1])
        score = 100.0 * (1.0 - np.exp(-cfg.intent_score_scale * (level[:, :, None] * relevance[:, None, :]) ** 2))
        score += rng.normal(0.0, 4.0, score.shape)
        a, w, t = np.nonzero(score >= 10.0)
        parts.append((idx[a], t, week[a, w], score[a, w, t]))
    background = rng.poisson(cfg.intent_background_surges, len(idx))
    a = np.repeat(np.arange(len(idx)), background)
    n_weeks = max((n_days - first_monday) // 7, 1)
    parts.append((idx[a], rng.integers(0, n_topics, len(a)),
                  first_monday + 7 * rng.integers(0, n_weeks, len(a)), rng.uniform(10.0, 45.0, len(a))))
    account, topic, week_day, score = (np.concatenate(c) for c in zip(*parts))
    keep = (week_day >= 0) & (week_day + 7 <= n_days)
    account, topic, week_day, score = account[keep], topic[keep], week_day[keep], np.minimum(score[keep], 100.0)
    # One row per (account, topic, week): the highest score.
    order = np.lexsort((-score, week_day, topic, account))
    account, topic, week_day, score = account[order], topic[order], week_day[order], score[order]
    first = np.ones(len(account), dtype=bool)
    first[1:] = (account[1:] != account[:-1]) | (topic[1:] != topic[:-1]) | (week_day[1:] != week_day[:-1])
    return IntentSurges(account[first], topic[first], week_day[first], np.round(score[first], 1))
