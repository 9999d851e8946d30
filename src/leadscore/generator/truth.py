"""The honest truth: a lead's Bayes-optimal 90-day conversion probability given the world as it stands.

Definition
----------
For a lead ``i`` open at the start of day ``t`` (``created_i < t``, not converted or disqualified before ``t``;
the snapshots are every such Monday and the end date, see :func:`outcomes.snapshot_schedule`)::

    true_probability(i, t) = P(i converts on a day of [t, t + 90) | F_t)
                           = E[ 1 - exp(-(H_i(t + 90) - H_i(t))) | F_t ]

with ``H_i`` the cumulative daily hazard of :mod:`leadscore.generator.outcomes`. ``F_t``, the state of the world
at the start of day ``t``, holds

* every trait of the lead's account (firmographics, technologies, shared interest, individual or company) and
  of every lead of that account created before ``t`` (persona, latent drivers, activity curve parameters);
* the lead's routing, decided when it was created: whether a rep works it, from which day, and the day of its
  review with the review's chance to disqualify it (but not the review's outcome while it lies ahead);
* the account's buying episodes that have started (start before ``t``) with their exact start, scale and
  amplitude;
* everything that happened before day ``t``: creation days, every web/track event (hence which colleagues are
  engaged and how many engaged-kind events the others have), trial signups and usage events.

The expectation runs over everything the generator draws that lies after ``t``, under the generator's own
distributions *conditioned on* ``F_t``:

* buying episodes that have not started: how many (the account has 0-2 episodes in all, so 0 to 2 minus the
  started ones), their start (uniform on ``[t, end)``), scale and amplitude;
* committee members not created yet: how many (committee-size prior), when (growing volume or an episode), who
  (persona, latent drivers), and when they become engaged;
* future engaged-kind events of existing colleagues (a Poisson process on their activity curves);
* the lead's own future trial signup and usage events;
* the outcome of a review still ahead: with its chance the rep disqualifies the lead and stops working it from
  the next day on (the hazard falls to the unworked level), else the rep keeps working it.

Conditioning matters because past facts carry evidence on the future episodes: leads are partly created
during episodes (a committee created in a burst around a started episode makes a second, unstarted one less
likely: the timed leads would have been split between them); the number of leads so far, against the
committee-size prior, speaks for or against leads being held back by a later episode; and a trial signup day
is drawn from the whole activity curve, so an early signup says the rest of the curve is small. Past web
events are a Poisson process on the curve and say nothing about its future. ``realized_path_probability``,
the old quantity, is the same probability given the realized future path (future episodes, colleagues and
trial events known): an oracle no model can reach.

Method
------
Draws are made per *scenario* (an account and a snapshot day); every lead of the account with a snapshot that
day shares them, so colleagues see the same future. The not-yet-started episodes are integrated by
stratified importance sampling: the ``K`` draws of a scenario (``--truth-draws``, default 32) are split into
fixed strata by the number of future episodes and how many of them start inside the 90-day window (an episode
starting later cannot touch the window but still shifts the evidence and the timing of future colleagues);
inside a stratum, start, scale and amplitude are Latin-hypercube samples. Each draw is weighted by its
stratum's exact prior mass times the exact closed-form likelihood of the evidence above (self-normalised
over the scenario's draws). Given a draw, everything else is sampled once: how many colleagues are still to
come (committee-size posterior) and which of them appear in the window, when (inverse CDF of the creation
mixture), who they are (persona priors), when they and the existing colleagues reach their second
engaged-kind event, and the lead's trial signup and usage events. The lead's window hazard is then summed
exactly day by day, those events entering as steps of ``(1 + committee)^b_c (1 + trials)^b_t``, and the
reported probability is the weighted mean over draws of ``1 - exp(-dH)`` (probabilities are averaged, not
hazards). When nothing random lies ahead every draw gives the same value: with no episodes, trials or
committee effect the honest truth equals the realized-path probability to rounding. With 32 draws the Monte
Carlo error of a snapshot (against 512 draws) is 1.6% of its probability at the median and 6.5% at the 90th
percentile; the error averages out of means, calibration and AUC (identical to three decimals from 16 draws
up). Cost is about linear in the draws: roughly 40 microseconds of CPU per snapshot at 32.

Randomness is counter based: each uniform is a hash of the run seed, the account, the snapshot day, the draw and
its purpose, so a snapshot's truth does not depend on how snapshots are batched nor on anything after its
day (two worlds that agree up to ``t`` get identical truths at ``t``).

Known simplifications (all small): duplicate-person leads are treated as carrying no evidence on episodes,
and a future colleague is a duplicate (never engages) with probability ``duplicate_person_share``;
episode masses entering the trial-signup evidence use the midpoint integral of the gamma bump; intent-surge
noise, which can hint at an episode a week early with a tiny probability, is ignored.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from leadscore.generator import activity
from leadscore.generator.activity import (ENGAGED_KINDS, TRIAL_USAGE_MAX_LAG_DAYS, TRIAL_USAGE_MEAN_LAG_DAYS,
                                          CurveEvents, TrialEvents)
from leadscore.generator.config import DEFAULT_TRUTH_DRAWS, GeneratorConfig
from leadscore.generator.entities import (EPISODE_LEAD_GAMMA_SHAPE, EPISODE_START_MIN, N_EPISODES,
                                          SMALL_COMPANY_EMPLOYEES, SMALL_COMPANY_EXECUTIVE_SHARE, Accounts,
                                          Personas)
from leadscore.generator.outcomes import NEVER, TRUTH_WINDOW_DAYS, LogHazardTerms
from leadscore.generator.sampling import ragged_arange, sigmoid
from leadscore.generator.vocab import TECHNICAL_DEPARTMENTS

MIN_TRUTH_DRAWS = 8
DEFINITION = (
    "true_probability = P(convert in [t, t+90) | state of the world at the start of day t), for every Monday t "
    "a lead is open (created before t, not converted or disqualified before t) and for the end date: all traits "
    "of the lead (its routing included: whether and from when a rep works it, when it is reviewed), its account "
    "and the account's leads created before t, the buying episodes started before t, and every event before t; "
    "the expectation over everything drawn after t (episodes not yet started, colleagues not yet created, future "
    "engaged-kind and trial events, the outcome of a review still ahead) uses the generator's own distributions "
    "conditioned on that state, by stratified importance sampling with truth_draws draws per (account, day). "
    "realized_path_probability = 1 - exp(-(H(t+90) - H(t))) on the realized future path (an oracle).")
WINDOW = TRUTH_WINDOW_DAYS
_BISECT_STEPS = int(np.ceil(np.log2(WINDOW + 1)))

assert EPISODE_LEAD_GAMMA_SHAPE == 2.0, "the closed forms below assume Gamma(2) lead timing"
assert N_EPISODES == 2

# Strata of the not-yet-started episodes by the number started (m): (future episodes, of which start inside
# the window, share of the draws).
_STRATA: dict[int, tuple[tuple[int, int, float], ...]] = {
    2: ((0, 0, 1.0),),
    1: ((0, 0, 0.4375), (1, 0, 0.3125), (1, 1, 0.25)),
    0: ((0, 0, 0.375), (1, 0, 0.25), (1, 1, 0.1875), (2, 0, 0.0625), (2, 1, 0.0625), (2, 2, 0.0625)),
}

# Purposes of the counter-based uniforms.
(_U_START, _U_SCALE, _U_AMP, _U_COUNT, _U_IN_WINDOW, _U_CREATED, _U_DUPLICATE, _U_SENIORITY, _U_EXECUTIVE,
 _U_DEPARTMENT, _U_NORMAL_A, _U_NORMAL_B, _U_NORMAL_C, _U_NORMAL_D, _U_HALF_LIFE, _U_RESPONSIVENESS,
 _U_ENGAGED, _U_MEMBER_ENGAGED, _U_SIGNUP, _U_USAGE_COUNT, _U_USAGE_LAG, _U_LATE_USAGE_COUNT,
 _U_LATE_USAGE_LAG) = range(1, 24)


# ---------------------------------------------------------------- counter-based random numbers

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (a bijective avalanche on uint64; arithmetic wraps modulo 2**64)."""
    with np.errstate(over="ignore"):
        z = z ^ (z >> np.uint64(30))
        z = z * _MIX_1
        z = z ^ (z >> np.uint64(27))
        z = z * _MIX_2
        return z ^ (z >> np.uint64(31))


def _combine(key: np.ndarray, value) -> np.ndarray:
    """Hash of a key and an integer (broadcasting)."""
    value = np.asarray(value).astype(np.uint64)
    with np.errstate(over="ignore"):
        return _mix(np.asarray(key, dtype=np.uint64) + (value + np.uint64(1)) * _GOLDEN)


def _uniform(key: np.ndarray, purpose: int, index=0) -> np.ndarray:
    """Uniform on (0, 1) keyed by ``key``, a purpose and an index."""
    z = _combine(_combine(key, purpose), index)
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def _normal(key: np.ndarray, purpose_a: int, purpose_b: int, index=0) -> tuple[np.ndarray, np.ndarray]:
    """Two independent standard normals (Box-Muller)."""
    radius = np.sqrt(-2.0 * np.log(_uniform(key, purpose_a, index)))
    angle = 2.0 * np.pi * _uniform(key, purpose_b, index)
    return radius * np.cos(angle), radius * np.sin(angle)


def _poisson(mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson counts by inversion of one uniform each."""
    mean = np.asarray(mean, dtype=np.float64)
    count = np.zeros(mean.shape, dtype=np.int64)
    term = np.exp(-mean)
    cdf = term.copy()
    todo = u > cdf
    k = 0
    while todo.any():
        k += 1
        term = term * mean / k
        cdf = cdf + term
        count[todo] = k
        todo &= (u > cdf) & (term > 0)
    return count


# ---------------------------------------------------------------- closed forms

def _gamma2_cdf(x: np.ndarray) -> np.ndarray:
    """CDF of Gamma(2, 1) (zero for x <= 0)."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    return -np.expm1(-x) - x * np.exp(-x)


def _gamma_k_cdf(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """CDF of Gamma(k, 1) for k in {1, 2}: the chance of k Poisson events within cumulative intensity x."""
    x = np.maximum(x, 0.0)
    return np.where(k == 1, -np.expm1(-x), -np.expm1(-x) - x * np.exp(-x))


def _volume_cdf(x: np.ndarray, growth: float) -> np.ndarray:
    """CDF on [0, 1] of the growing lead volume (density rising linearly by ``growth``)."""
    x = np.clip(x, 0.0, 1.0)
    if growth <= 0:
        return x
    return (x + 0.5 * growth * x * x) / (1.0 + 0.5 * growth)


def _bump(day: np.ndarray, start: np.ndarray, scale: np.ndarray, amplitude: np.ndarray) -> np.ndarray:
    """Episode intensity ``amplitude * x * exp(1 - x)``, ``x = (day - start) / scale`` (float64)."""
    x = np.maximum((day - start) / scale, 0)
    return amplitude * x * np.exp(1 - x)


def _bump_mass(low: np.ndarray, high: np.ndarray, start: np.ndarray, scale: np.ndarray,
               amplitude: np.ndarray) -> np.ndarray:
    """Integral of the episode bump over ``[low, high]`` (midpoint rule for a run of whole days)."""
    upper = _gamma2_cdf((high - start) / scale)
    lower = _gamma2_cdf((low - start) / scale)
    return amplitude * scale * np.e * (upper - lower)


def engaged_event_rate(interest: np.ndarray, evaluation: np.ndarray, is_technical: np.ndarray,
                       authority: np.ndarray, cfg: GeneratorConfig) -> np.ndarray:
    """Engaged-kind events (pricing, docs, calculator, demo) per unit of activity, as
    :func:`activity.curve_event_rates` has them for a lead that is not a duplicate."""
    total = np.zeros(np.shape(interest))
    for kind in ENGAGED_KINDS:
        assert cfg.event_webinar_loadings[kind] == 0.0, "engaged kinds do not load on webinar affinity"
        rate = cfg.event_base_rates[kind] * np.exp(cfg.event_interest_loadings[kind] * interest
                                                   + cfg.event_evaluation_loadings[kind] * evaluation)
        if kind == activity.KIND_DOCS:
            rate = rate * np.where(is_technical, cfg.technical_docs_multiplier, cfg.nontechnical_docs_multiplier)
        if kind == activity.KIND_DEMO_REQUEST:
            rate = rate * (cfg.demo_authority_offset + authority)
        total = total + rate
    return total


# ---------------------------------------------------------------- inputs

@dataclass(frozen=True)
class TruthInputs:
    """What the honest truth reads of a chunk: the world as drawn, and its realized past.

    Only facts dated before each snapshot's day are used for that snapshot (events, trials, creation days,
    started episodes); traits of leads created after it are never read for it.
    """

    personas: Personas
    accounts: Accounts
    lead_start: int
    events: CurveEvents
    trials: TrialEvents
    terms: LogHazardTerms
    drift_by_day: np.ndarray
    ramp_by_day: np.ndarray
    n_days: int
    seed: int
    horizon: int
    work_offset: np.ndarray  # routing, decided at creation: first-touch day offset (NEVER when not worked)
    review_offset: np.ndarray  # the review's day offset (NEVER when not worked) ...
    unqualified_chance: np.ndarray  # ... and its chance to disqualify; the review's own draw is never read


@dataclass(frozen=True)
class _Leads:
    """Per-lead precomputations of a chunk."""

    created: np.ndarray
    account: np.ndarray
    is_duplicate: np.ndarray
    global_index: np.ndarray
    responsiveness: np.ndarray
    base_level: np.ndarray  # (n, L) engagement x (decay + floor), float32 as in the activity grid
    base_cum: np.ndarray  # (n, L) float64 cumulative of base_level
    slot_cum: np.ndarray  # (2, n, L) float64 cumulative of each episode slot's intensity
    engaged_rate: np.ndarray
    first_engaged: np.ndarray  # grid offset of the first / second engaged-kind event (large when none)
    second_engaged: np.ndarray
    signup: np.ndarray  # grid offset of the trial signup, -1 when none
    trial_keys: np.ndarray  # sorted row * stride + offset of every trial event
    trial_stride: int
    trial_probability: np.ndarray
    trial_usage_mean: np.ndarray
    static: np.ndarray
    drift_slope: np.ndarray
    work_day: np.ndarray  # calendar day of the first touch (from then a rep works the lead), NEVER when none
    review_day: np.ndarray  # calendar day of the review, NEVER when none
    unqualified_chance: np.ndarray


_NONE = 1 << 40


def _lead_precompute(inp: TruthInputs, cfg: GeneratorConfig) -> _Leads:
    """Per-lead arrays: activity baseline and episode masses, engaged-kind and trial history, hazard terms."""
    p, accounts = inp.personas, inp.accounts
    horizon = inp.horizon
    offsets = np.arange(horizon, dtype=np.float32)
    decay = np.float32(np.log(2.0)) / p.half_life.astype(np.float32)
    baseline = np.exp(-decay[:, None] * offsets[None, :]) + np.float32(cfg.activity_floor)
    base_level = p.engagement.astype(np.float32)[:, None] * baseline
    calendar = p.created_day[:, None].astype(np.float32) + offsets[None, :]
    slot_cum = np.empty((N_EPISODES, p.n, horizon))
    for e in range(N_EPISODES):
        level = activity.episode_intensity(calendar, accounts.episode_start[p.account, e:e + 1],
                                           accounts.episode_scale[p.account, e:e + 1],
                                           accounts.episode_amplitude[p.account, e:e + 1])
        np.cumsum(level, axis=1, dtype=np.float64, out=slot_cum[e])
    rate = engaged_event_rate(p.interest, p.evaluation, p.is_technical, p.authority, cfg) * ~p.is_duplicate

    ev = inp.events
    engaged = np.isin(ev.kind, ENGAGED_KINDS)
    row, offset = ev.row[engaged], ev.offset[engaged]
    order = np.lexsort((offset, row))
    row, offset = row[order], offset[order]
    counts = np.bincount(row, minlength=p.n)
    starts = np.cumsum(counts) - counts
    first = np.full(p.n, _NONE, dtype=np.int64)
    second = np.full(p.n, _NONE, dtype=np.int64)
    has1, has2 = counts >= 1, counts >= 2
    first[has1] = offset[starts[has1]]
    second[has2] = offset[starts[has2] + 1]

    tr = inp.trials
    signup = np.full(p.n, -1, dtype=np.int64)
    is_signup = tr.name == 0
    signup[tr.row[is_signup]] = tr.offset[is_signup]
    stride = int(max(horizon, int(tr.offset.max(initial=0)) + 1)) + 1
    trial_keys = np.sort(tr.row.astype(np.int64) * stride + tr.offset)
    in_market_at_creation = activity.lead_episode_intensity(p.created_day.astype(np.float32), accounts,
                                                            p.account).astype(np.float64)
    intercept, evaluation, in_market, technical = cfg.trial_logit
    trial_probability = sigmoid(intercept + evaluation * p.evaluation + in_market * in_market_at_creation
                                + technical * p.is_technical) * ~p.is_duplicate
    evaluation_loading, interest_loading = cfg.trial_depth_loadings
    usage_mean = cfg.trial_depth_events * np.exp(evaluation_loading * p.evaluation + interest_loading * p.interest)
    return _Leads(
        created=p.created_day.astype(np.int64), account=p.account, is_duplicate=p.is_duplicate,
        global_index=p.global_index.astype(np.int64),
        responsiveness=p.responsiveness.astype(np.float32).astype(np.float64),
        base_level=base_level, base_cum=np.cumsum(base_level, axis=1, dtype=np.float64), slot_cum=slot_cum,
        engaged_rate=rate, first_engaged=first, second_engaged=second, signup=signup, trial_keys=trial_keys,
        trial_stride=stride, trial_probability=trial_probability, trial_usage_mean=usage_mean,
        static=inp.terms.static.astype(np.float32).astype(np.float64),
        drift_slope=inp.terms.drift_slope.astype(np.float32).astype(np.float64),
        work_day=np.where(inp.work_offset < NEVER, p.created_day + inp.work_offset, NEVER),
        review_day=np.where(inp.review_offset < NEVER, p.created_day + inp.review_offset, NEVER),
        unqualified_chance=np.asarray(inp.unqualified_chance, dtype=np.float64),
    )


# ---------------------------------------------------------------- draw plan

@dataclass(frozen=True)
class _Plan:
    """Per number of started episodes: each draw's stratum, future episodes and in-window count, and its
    position and stratum size (for Latin-hypercube sampling)."""

    stratum: np.ndarray  # (3, K)
    future: np.ndarray
    inside: np.ndarray
    position: np.ndarray
    size: np.ndarray


def _plan(draws: int) -> _Plan:
    shape = (3, draws)
    stratum, future, inside, position, size = (np.zeros(shape, dtype=np.int64) for _ in range(5))
    for m, strata in _STRATA.items():
        shares = np.array([s[2] for s in strata])
        counts = np.maximum(np.floor(shares * draws).astype(np.int64), 1)
        while counts.sum() < draws:
            counts[np.argmax(shares * draws - counts)] += 1
        while counts.sum() > draws:
            counts[np.argmax(np.where(counts > 1, counts - shares * draws, -np.inf))] -= 1
        k = 0
        for index, ((f, n_in, _), count) in enumerate(zip(strata, counts)):
            sl = slice(k, k + count)
            stratum[m, sl], future[m, sl], inside[m, sl] = index, f, n_in
            position[m, sl], size[m, sl] = np.arange(count), count
            k += count
    return _Plan(stratum, future, inside, position, size)


# ---------------------------------------------------------------- the computation

def honest_probability(inp: TruthInputs, row: np.ndarray, as_of_day: np.ndarray, cfg: GeneratorConfig,
                       draws: int = DEFAULT_TRUTH_DRAWS, batch_rows: int = 4000) -> np.ndarray:
    """Bayes-optimal probability of converting within 90 days of each snapshot, given the world at its day.

    Parameters
    ----------
    inp : TruthInputs
        The chunk's world and realized past.
    row, as_of_day : numpy.ndarray
        Snapshots: chunk-local lead row and day index (a Monday or the end date), ``created < as_of_day``.
    cfg : GeneratorConfig
        Coefficients.
    draws : int
        Draws per (account, snapshot day) scenario, at least :data:`MIN_TRUTH_DRAWS`.
    batch_rows : int
        Snapshots per vectorised batch (memory only: results do not depend on it).

    Returns
    -------
    numpy.ndarray
        Probabilities aligned with ``row``.
    """
    if draws < MIN_TRUTH_DRAWS:
        raise ValueError(f"truth draws must be at least {MIN_TRUTH_DRAWS}")
    row = np.asarray(row, dtype=np.int64)
    as_of_day = np.asarray(as_of_day, dtype=np.int64)
    out = np.empty(len(row))
    if len(row) == 0:
        return out
    leads = _lead_precompute(inp, cfg)
    plan = _plan(draws)
    stride = inp.n_days + 2 * WINDOW + 10
    scenario_key = leads.account[row].astype(np.int64) * stride + as_of_day
    scenarios, scenario_of_row = np.unique(scenario_key, return_inverse=True)
    order = np.argsort(scenario_of_row, kind="stable")
    rows_per_scenario = np.bincount(scenario_of_row, minlength=len(scenarios))
    row_start = np.cumsum(rows_per_scenario) - rows_per_scenario
    load = rows_per_scenario + inp.accounts.size[scenarios // stride]
    cut = np.searchsorted(np.cumsum(load), np.arange(batch_rows, load.sum(), batch_rows), side="right")
    edges = np.unique(np.concatenate([[0], cut, [len(scenarios)]]))
    for s0, s1 in zip(edges[:-1], edges[1:]):
        batch = order[row_start[s0]:row_start[s1 - 1] + rows_per_scenario[s1 - 1]]
        out[batch] = _batch(inp, leads, plan, cfg, scenarios[s0:s1] // stride, scenarios[s0:s1] % stride,
                            row[batch], scenario_of_row[batch] - s0)
    return out


@dataclass
class _Scenarios:
    """A batch of (account, snapshot day) scenarios and their K draws of the not-yet-started episodes.

    Window arrays run over the 90 days ``t .. t + 89``; arrays of draws with a future episode starting inside
    the window (``hit``) are compact, indexed by ``hit_index``.
    """

    account: np.ndarray
    t: np.ndarray
    started: np.ndarray  # (S, 2) slot has started before t
    start: np.ndarray  # (S, 2) slot start / scale (float64)
    scale: np.ndarray
    key: np.ndarray  # (S, K) uint64 draw keys
    log_weight: np.ndarray  # (S, K)
    fut_on: np.ndarray  # (S, K, 2) future episodes of each draw
    fut_start: np.ndarray
    fut_scale: np.ndarray
    fut_amp: np.ndarray
    hit_index: np.ndarray  # (S, K) row in the compact arrays, -1 when no future episode starts in the window
    intensity: np.ndarray  # (S, W) started episodes' intensity on the window days
    intensity_cum: np.ndarray
    future: np.ndarray  # (H, W) future episodes' intensity on the window days
    future_cum: np.ndarray  # (H + 1, W) its cumulative, with a last row of zeros
    tau: np.ndarray  # (S, K) share of leads timed to each episode
    volume_coef: np.ndarray  # (S, K) share of leads on the volume curve (untimed or timed out of range)
    after: np.ndarray  # (S, K) chance a lead of the account is created on or after t
    volume_cum: np.ndarray  # (S, W) volume chance of creation on days t .. t + j
    started_cum: np.ndarray  # (S, W) chance a lead timed to a started episode appears on days t .. t + j

    @property
    def size(self) -> int:
        return len(self.t)

    @property
    def draws(self) -> int:
        return self.key.shape[1]

    def future_cum_at(self, s: np.ndarray, k: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Cumulative future-episode intensity through window day j (0 for draws without a hit)."""
        return self.future_cum[self.hit_index[s, k], j]  # index -1 is the trailing row of zeros

    def created_mass(self, s: np.ndarray, k: np.ndarray, j: np.ndarray, n_days: int) -> np.ndarray:
        """Chance a new lead of the account appears on days t .. t + j under draw (s, k)."""
        s, k, j = np.broadcast_arrays(s, k, j)
        timed = self.started_cum[s, j]
        hit = np.flatnonzero(self.hit_index[s, k] >= 0)  # a future episode only times leads once started
        sh, kh = s.ravel()[hit], k.ravel()[hit]
        high = np.minimum(self.t[sh] + j.ravel()[hit] + 1.0, float(n_days))
        extra = np.zeros(len(hit))
        for slot in range(2):
            start, scale = self.fut_start[sh, kh, slot], self.fut_scale[sh, kh, slot]
            extra += np.where(self.fut_on[sh, kh, slot] & (start < high), _gamma2_cdf((high - start) / scale), 0.0)
        timed.ravel()[hit] += extra
        return self.volume_coef[s, k] * self.volume_cum[s, j] + self.tau[s, k] * timed


def _binomial_table(size: int) -> np.ndarray:
    return np.array([[comb(n, k) for k in range(size + 1)] for n in range(2 * size + 1)], dtype=np.float64)


def _bisect(ok_at, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Smallest index in [lo, hi] where the monotone predicate ``ok_at(index)`` holds (``hi`` if only there)."""
    lo, hi = lo.copy(), hi.copy()
    for _ in range(_BISECT_STEPS):
        mid = (lo + hi) // 2
        ok = ok_at(mid)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid + 1)
    return hi


def _episode_draws(inp: TruthInputs, plan: _Plan, cfg: GeneratorConfig, account: np.ndarray,
                   t: np.ndarray) -> _Scenarios:
    """Stratified draws of the episodes not started by t, their prior weight and the lead-timing model."""
    acc, n_days = inp.accounts, inp.n_days
    S, K = len(t), plan.stratum.shape[1]
    tf = t.astype(np.float64)
    start = acc.episode_start[account].astype(np.float64)
    scale = acc.episode_scale[account].astype(np.float64)
    started = (acc.episode_amplitude[account] > 0) & (start < tf[:, None])
    m = started.sum(axis=1)

    # Prior of the number of future episodes f given m started: P(K = m + f) C(m + f, m) P(start >= t)^f.
    shares = np.asarray(cfg.episode_count_shares, dtype=np.float64)
    shares = shares / shares.sum()
    unstarted = np.clip((n_days - tf) / (n_days - EPISODE_START_MIN), 0.0, 1.0)
    prior = np.zeros((S, 3))
    for f in range(3):
        total = m + f
        ways = np.where((total == 2) & (m == 1), 2.0, 1.0)
        prior[:, f] = np.where(total <= 2, shares[np.minimum(total, 2)] * ways * unstarted ** f, 0.0)
    prior /= prior.sum(axis=1, keepdims=True)
    future_span = np.maximum(n_days - tf, 0.0)
    inside_span = np.maximum(np.minimum(tf + WINDOW, n_days) - tf, 0.0)
    alpha = np.divide(inside_span, future_span, out=np.zeros(S), where=future_span > 0)[:, None]

    key = _combine(_combine(_combine(np.uint64(0x7E57ED7A), np.uint64(inp.seed)), account)[:, None], t[:, None])
    key = _combine(key, np.arange(K)[None, :])
    f_k, in_k = plan.future[m], plan.inside[m]
    pos, n_s = plan.position[m].astype(np.float64), plan.size[m].astype(np.float64)
    mass = prior[np.arange(S)[:, None], f_k] * np.select(
        [(f_k == 1) & (in_k == 1), f_k == 1, (f_k == 2) & (in_k == 2), (f_k == 2) & (in_k == 1), f_k == 2],
        [alpha, 1 - alpha, alpha ** 2, 2 * alpha * (1 - alpha), (1 - alpha) ** 2], 1.0)
    with np.errstate(divide="ignore"):
        log_weight = np.log(mass) - np.log(n_s)

    fut_start, fut_scale, fut_amp = np.zeros((S, K, 2)), np.ones((S, K, 2)), np.zeros((S, K, 2))
    fut_on = np.zeros((S, K, 2), dtype=bool)
    (scale_lo, scale_hi), (amp_lo, amp_hi) = cfg.episode_scale_days, cfg.episode_amplitude
    for slot in range(2):
        # Latin hypercube inside each stratum: the start cell follows the position, scale and amplitude cells
        # a random cyclic shift of it (each draw stays uniform on the stratum).
        shift_scale = np.floor(_uniform(key[:, :1], _U_SCALE, slot) * n_s)
        shift_amp = np.floor(_uniform(key[:, :1], _U_AMP, slot) * n_s)
        cell_start = (pos + _uniform(key, _U_START, slot)) / n_s
        cell_scale = (np.mod(pos + shift_scale, n_s) + _uniform(key, _U_SCALE, slot + 2)) / n_s
        cell_amp = (np.mod(pos + shift_amp, n_s) + _uniform(key, _U_AMP, slot + 2)) / n_s
        inside = slot < in_k
        low = np.where(inside, tf[:, None], (tf + inside_span)[:, None])
        span = np.where(inside, inside_span[:, None], (future_span - inside_span)[:, None])
        fut_on[:, :, slot] = slot < f_k
        fut_start[:, :, slot] = low + span * cell_start
        fut_scale[:, :, slot] = scale_lo + (scale_hi - scale_lo) * cell_scale
        fut_amp[:, :, slot] = np.where(slot < f_k, amp_lo + (amp_hi - amp_lo) * cell_amp, 0.0)
    hit = (fut_on & (fut_start < tf[:, None, None] + WINDOW)).any(axis=2)

    window_day = t[:, None] + np.arange(WINDOW)[None, :]
    started_amp = np.where(started, acc.episode_amplitude[account], 0.0).astype(np.float32)
    intensity = activity.episode_intensity(window_day.astype(np.float32), acc.episode_start[account],
                                           acc.episode_scale[account], started_amp).astype(np.float64)
    hs, hk = np.nonzero(hit)
    hit_index = np.full((S, K), -1, dtype=np.int64)
    hit_index[hs, hk] = np.arange(len(hs))
    # float32 like the generator's own intensities; the sum of a 90-day window needs no more
    hit_day = window_day[hs].astype(np.float32)

    def params(sel, slot):
        return (a[hs[sel], hk[sel], slot][:, None].astype(np.float32) for a in (fut_start, fut_scale, fut_amp))

    future = _bump(hit_day, *params(slice(None), 0))
    second = np.flatnonzero(fut_on[hs, hk, 1])
    future[second] += _bump(hit_day[second], *params(second, 1))
    n = float(n_days)

    # How the account's leads are timed under each draw (entities.make_lead_skeleton).
    total_episodes = m[:, None] + f_k
    tau = np.where(total_episodes > 0, cfg.episode_lead_timing_share / np.maximum(total_episodes, 1), 0.0)
    out_started = np.where(started, _gamma2_cdf(-start / scale) + 1.0 - _gamma2_cdf((n - start) / scale),
                           0.0).sum(axis=1)
    out_future = np.where(fut_on, 1.0 - _gamma2_cdf((n - fut_start) / fut_scale), 0.0).sum(axis=2)
    volume_coef = np.where(total_episodes > 0, 1.0 - cfg.episode_lead_timing_share
                           + tau * (out_started[:, None] + out_future), 1.0)
    before_started = np.where(started, _gamma2_cdf((tf[:, None] - start) / scale) - _gamma2_cdf(-start / scale),
                              0.0).sum(axis=1)
    volume_t = _volume_cdf(tf / n, cfg.volume_growth)
    before = volume_t[:, None] * volume_coef + tau * before_started[:, None]
    window_high = np.minimum(window_day + 1.0, n)
    volume_cum = _volume_cdf(window_high / n, cfg.volume_growth) - volume_t[:, None]
    started_cum = np.zeros((S, WINDOW))
    for slot in range(2):
        st, sl = start[:, slot:slot + 1], scale[:, slot:slot + 1]
        started_cum += np.where(started[:, slot:slot + 1], _gamma2_cdf((window_high - st) / sl)
                                - _gamma2_cdf((tf[:, None] - st) / sl), 0.0)
    return _Scenarios(
        account=account, t=t, started=started, start=start, scale=scale, key=key, log_weight=log_weight,
        fut_on=fut_on, fut_start=fut_start, fut_scale=fut_scale, fut_amp=fut_amp, hit_index=hit_index,
        intensity=intensity, intensity_cum=np.cumsum(intensity, axis=1), future=future,
        future_cum=np.cumsum(np.vstack([future, np.zeros((1, WINDOW), np.float32)]), axis=1, dtype=np.float32),
        tau=tau, volume_coef=volume_coef,
        after=np.clip(1.0 - before, 0.0, 1.0), volume_cum=np.maximum(volume_cum, 0.0), started_cum=started_cum)


@dataclass
class _Members:
    """Leads of each scenario's account created before t (scenario-contiguous, by lead index)."""

    scen: np.ndarray
    lead: np.ndarray
    first: np.ndarray  # first entry of each scenario
    count: np.ndarray  # entries per scenario
    offset: np.ndarray  # t - created (>= 1)
    past_mass: np.ndarray  # activity mass before t (known)
    total_mass: np.ndarray  # (E, K) activity mass of the whole grid under each draw
    engaged_before: np.ndarray
    events_before: np.ndarray  # engaged-kind events before t, capped at 2


def _members(inp: TruthInputs, leads: _Leads, cfg: GeneratorConfig, sc: _Scenarios) -> _Members:
    """Existing members of each scenario, and the evidence they carry on the future episodes (added to the
    draws' log weights): their creation days, how many there are so far, and their trial signups."""
    acc, n = inp.accounts, float(inp.n_days)
    last = inp.horizon - 1
    first = acc.first_lead[sc.account] - inp.lead_start
    e_scen, e_pos = ragged_arange(acc.size[sc.account])
    e_lead = first[e_scen] + e_pos
    keep = leads.created[e_lead] < sc.t[e_scen]
    e_scen, e_lead = e_scen[keep], e_lead[keep]
    count = np.bincount(e_scen, minlength=sc.size)
    e_first = np.cumsum(count) - count
    created = leads.created[e_lead]
    cf = created.astype(np.float64)
    duplicate = leads.is_duplicate[e_lead]

    # creation days: p(c | draw) = volume pmf x volume share + timed share x Gamma(2) pmf of started episodes
    volume_pmf = _volume_cdf((cf + 1) / n, cfg.volume_growth) - _volume_cdf(cf / n, cfg.volume_growth)
    start, scale, started = sc.start[e_scen], sc.scale[e_scen], sc.started[e_scen]
    timed_pmf = np.where(started, _gamma2_cdf((cf[:, None] + 1 - start) / scale)
                         - _gamma2_cdf((cf[:, None] - start) / scale), 0.0).sum(axis=1)
    density = volume_pmf[:, None] * sc.volume_coef[e_scen] + sc.tau[e_scen] * timed_pmf[:, None]
    evidence = np.where(duplicate[:, None], 0.0, np.log(density))

    # trial signups: the signup day is drawn from the whole activity curve, future episodes included
    offset = sc.t[e_scen] - created
    past = np.minimum(offset - 1, last)
    resp = leads.responsiveness[e_lead]

    def known_mass(o):
        episodes = sum(np.where(started[:, e], leads.slot_cum[e, e_lead, o], 0.0) for e in range(N_EPISODES))
        return leads.base_cum[e_lead, o] + cfg.episode_activity_weight * resp * episodes

    past_mass, whole = known_mass(past), known_mass(np.full(len(e_lead), last))
    future_mass = sum(_bump_mass((cf - 0.5)[:, None], (cf + last + 0.5)[:, None], sc.fut_start[e_scen, :, e],
                                 sc.fut_scale[e_scen, :, e], sc.fut_amp[e_scen, :, e]) for e in range(2))
    total_mass = whole[:, None] + cfg.episode_activity_weight * resp[:, None] * future_mass
    signup = leads.signup[e_lead]
    signed = (signup >= 0) & (signup < offset)
    p_trial = leads.trial_probability[e_lead]
    no_signup = np.log1p(-np.minimum(p_trial[:, None] * past_mass[:, None] / total_mass, 1.0 - 1e-12))
    evidence += np.where(signed[:, None], -np.log(total_mass), np.where(p_trial[:, None] > 0, no_signup, 0.0))
    sc.log_weight += np.add.reduceat(evidence, e_first, axis=0)

    engaged_before = created + leads.second_engaged[e_lead] < sc.t[e_scen]
    events_before = (created + leads.first_engaged[e_lead] < sc.t[e_scen]).astype(np.int64) + engaged_before
    return _Members(scen=e_scen, lead=e_lead, first=e_first, count=count, offset=offset, past_mass=past_mass,
                    total_mass=total_mass, engaged_before=engaged_before, events_before=events_before)


def _new_colleague_count(inp: TruthInputs, cfg: GeneratorConfig, sc: _Scenarios, mem: _Members) -> np.ndarray:
    """Adds the committee-size evidence to the log weights; returns the posterior of the number of leads the
    account has yet to create, ``(S, K, U)``."""
    shares = np.asarray(cfg.committee_size_shares, dtype=np.float64)
    shares = shares / shares.sum()
    largest = len(shares)
    u = np.arange(largest)
    existing = np.minimum(mem.count, largest)
    total = existing[:, None] + u[None, :]
    prior = np.where(total <= largest, shares[np.minimum(total, largest) - 1], 0.0)
    prior *= _binomial_table(largest)[total, u[None, :]]  # C(n + u, u) ways to interleave the unseen leads
    individual = inp.accounts.is_individual[sc.account]
    prior[individual] = 0.0
    prior[individual, 0] = 1.0
    posterior = prior[:, None, :] * sc.after[:, :, None] ** u[None, None, :]
    evidence = posterior.sum(axis=2)
    sc.log_weight += np.log(evidence)
    return posterior / evidence[:, :, None]


Steps = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # (scenario or row, draw, member lead, window index)


def _member_steps(leads: _Leads, cfg: GeneratorConfig, sc: _Scenarios, mem: _Members) -> Steps:
    """Window day on which each existing, not yet engaged colleague becomes engaged in each draw (the
    remaining engaged-kind events form a Poisson process on its activity curve)."""
    last = leads.base_level.shape[1] - 1
    K = sc.draws
    lead = mem.lead
    created = leads.created[lead]
    grid_end = np.minimum(created + last - sc.t[mem.scen], WINDOW - 1)
    rate = leads.engaged_rate[lead]
    candidates = np.flatnonzero(~mem.engaged_before & (rate > 0) & (grid_end >= 0))
    ent = np.repeat(candidates, K)
    draw = np.tile(np.arange(K), len(candidates))
    s = mem.scen[ent]
    need = 2 - mem.events_before[ent]
    origin = leads.base_cum[lead[ent], mem.offset[ent] - 1]
    w = cfg.episode_activity_weight * leads.responsiveness[lead[ent]]

    def chance(index, sub):
        j = np.minimum(index, grid_end[ent[sub]])
        base = leads.base_cum[lead[ent[sub]], mem.offset[ent[sub]] + j] - origin[sub]
        episodes = sc.intensity_cum[s[sub], j] + sc.future_cum_at(s[sub], draw[sub], j)
        return _gamma_k_cdf(rate[ent[sub]] * (base + w[sub] * episodes), need[sub])

    v = _uniform(sc.key[s, draw], _U_MEMBER_ENGAGED, leads.global_index[lead[ent]])
    everything = np.arange(len(ent))
    sel = np.flatnonzero(chance(np.full(len(ent), WINDOW - 1), everything) >= v)
    day = _bisect(lambda idx: chance(idx, sel) >= v[sel], np.zeros(len(sel), dtype=np.int64),
                  np.full(len(sel), WINDOW - 1, dtype=np.int64))
    return s[sel], draw[sel], lead[ent[sel]], day


def _new_colleague_steps(inp: TruthInputs, cfg: GeneratorConfig, sc: _Scenarios, posterior: np.ndarray) -> Steps:
    """Colleagues created inside the window in each draw, who they are, and when they become engaged."""
    acc = inp.accounts
    largest = posterior.shape[2]
    remaining = (np.cumsum(posterior, axis=2) < _uniform(sc.key, _U_COUNT)[:, :, None]).sum(axis=2)
    remaining = np.minimum(remaining, largest - 1)
    # each of them appears inside the window independently with chance p_in: a binomial count (inversion)
    window_mass = sc.created_mass(np.arange(sc.size)[:, None], np.arange(sc.draws)[None, :],
                                  np.full((1, 1), WINDOW - 1), inp.n_days)
    p_in = np.clip(window_mass / np.maximum(sc.after, 1e-300), 0.0, 1.0 - 1e-12)
    u = _uniform(sc.key, _U_IN_WINDOW)
    pmf = (1.0 - p_in) ** remaining
    cdf = pmf.copy()
    odds = p_in / (1.0 - p_in)
    inside = np.zeros(remaining.shape, dtype=np.int64)
    for c in range(largest - 1):
        inside += (u > cdf) & (c < remaining)
        pmf = pmf * np.maximum(remaining - c, 0) / (c + 1) * odds
        cdf = cdf + pmf
    ss, kk = np.nonzero(inside)
    inside, window_mass = inside[ss, kk], window_mass[ss, kk]
    g, index = ragged_arange(inside)
    s, k = ss[g], kk[g]
    key = _combine(sc.key[s, k], index + 1_000_000)
    target = _uniform(key, _U_CREATED) * window_mass[g]
    born = _bisect(lambda j: sc.created_mass(s, k, j, inp.n_days) >= target, np.zeros(len(s), dtype=np.int64),
                   np.full(len(s), WINDOW - 1, dtype=np.int64))

    # persona, as entities.make_personas draws a company lead
    seniority_cdf = np.cumsum(cfg.seniority_shares) / np.sum(cfg.seniority_shares)
    seniority = np.minimum(np.searchsorted(seniority_cdf, _uniform(key, _U_SENIORITY), side="right"),
                           len(seniority_cdf) - 1)
    small = acc.employees[sc.account[s]] < SMALL_COMPANY_EMPLOYEES
    seniority = np.where(small & (_uniform(key, _U_EXECUTIVE) < SMALL_COMPANY_EXECUTIVE_SHARE), 5, seniority)
    department_cdf = np.cumsum(cfg.department_shares) / np.sum(cfg.department_shares)
    department = np.minimum(np.searchsorted(department_cdf, _uniform(key, _U_DEPARTMENT), side="right"),
                            len(department_cdf) - 1)
    z_interest, z_evaluation = _normal(key, _U_NORMAL_A, _U_NORMAL_B)
    z_engagement, _ = _normal(key, _U_NORMAL_C, _U_NORMAL_D)
    rho = cfg.interest_account_share
    interest = rho * acc.shared_interest[sc.account[s]] + np.sqrt(1.0 - rho ** 2) * z_interest
    engagement = np.exp(cfg.engagement_noise * z_engagement + cfg.engagement_interest_loading * interest)
    low, high = np.log(cfg.half_life_days[0]), np.log(cfg.half_life_days[1])
    decay = np.log(2.0) / np.exp(low + (high - low) * _uniform(key, _U_HALF_LIFE))
    responsiveness = 0.5 + _uniform(key, _U_RESPONSIVENESS)
    is_technical = np.isin(department, TECHNICAL_DEPARTMENTS)
    authority = np.asarray(cfg.authority)[seniority]
    not_duplicate = _uniform(key, _U_DUPLICATE) >= cfg.duplicate_person_share
    rate = engaged_event_rate(interest, z_evaluation, is_technical, authority, cfg) * not_duplicate
    w = cfg.episode_activity_weight * responsiveness

    def chance(j, sub):
        days_on = np.maximum(j - born[sub] + 1, 0)
        base = engagement[sub] * (-np.expm1(-decay[sub] * days_on) / -np.expm1(-decay[sub])
                                  + cfg.activity_floor * days_on)
        prior_day = np.maximum(born[sub] - 1, 0)
        had = born[sub] > 0
        ss_, kk_ = s[sub], k[sub]
        episodes = (sc.intensity_cum[ss_, j] + sc.future_cum_at(ss_, kk_, j)
                    - np.where(had, sc.intensity_cum[ss_, prior_day] + sc.future_cum_at(ss_, kk_, prior_day), 0.0))
        return _gamma2_cdf(rate[sub] * (base + w[sub] * episodes) * (days_on > 0))

    v = _uniform(key, _U_ENGAGED)
    sel = np.flatnonzero(chance(np.full(len(s), WINDOW - 1), np.arange(len(s))) >= v)
    day = _bisect(lambda j: chance(j, sel) >= v[sel], born[sel], np.full(len(sel), WINDOW - 1, dtype=np.int64))
    return s[sel], k[sel], np.full(len(sel), -1, dtype=np.int64), day


def _trial_steps(leads: _Leads, cfg: GeneratorConfig, sc: _Scenarios, mem: _Members, row: np.ndarray,
                 scen: np.ndarray, entry: np.ndarray) -> Steps:
    """The lead's own future trial events inside the window in each draw: usage still to come of a trial
    started before t, or a signup (drawn from the rest of the activity curve) and its usage."""
    K = sc.draws
    offset = sc.t[scen] - leads.created[row]
    signup = leads.signup[row]
    signed = (signup >= 0) & (signup < offset)
    key = _combine(sc.key[scen], leads.global_index[row][:, None])  # (R, K)
    usage_mean = leads.trial_usage_mean[row]
    parts = []

    late = np.flatnonzero(signed & (offset - signup <= TRIAL_USAGE_MAX_LAG_DAYS))
    rr, kk = np.repeat(late, K), np.tile(np.arange(K), len(late))
    elapsed = (offset - signup)[rr]
    count = _poisson(usage_mean[rr] * np.exp(-elapsed / TRIAL_USAGE_MEAN_LAG_DAYS),
                     _uniform(key[rr, kk], _U_LATE_USAGE_COUNT))
    g, index = ragged_arange(count)
    extra = np.floor(-TRIAL_USAGE_MEAN_LAG_DAYS * np.log(_uniform(key[rr[g], kk[g]], _U_LATE_USAGE_LAG, index)))
    lag = np.minimum(elapsed[g] + extra.astype(np.int64), TRIAL_USAGE_MAX_LAG_DAYS)
    parts.append((rr[g], kk[g], lag - elapsed[g]))

    fresh = np.flatnonzero(~signed & (leads.trial_probability[row] > 0))
    rr, kk = np.repeat(fresh, K), np.tile(np.arange(K), len(fresh))
    lead, s, e = row[rr], scen[rr], entry[rr]
    origin = leads.base_cum[lead, offset[rr] - 1]
    w = cfg.episode_activity_weight * leads.responsiveness[lead]

    def window_mass(j, sub):
        return (leads.base_cum[lead[sub], offset[rr[sub]] + j] - origin[sub]
                + w[sub] * (sc.intensity_cum[s[sub], j] + sc.future_cum_at(s[sub], kk[sub], j)))

    every = np.arange(len(rr))
    mass = window_mass(np.full(len(rr), WINDOW - 1), every)
    p = leads.trial_probability[lead]
    total, past = mem.total_mass[e, kk], mem.past_mass[e]
    p_signup = p * mass / total / np.maximum(1.0 - p * past / total, 1e-12)
    v = _uniform(key[rr, kk], _U_SIGNUP)
    sel = np.flatnonzero(v < p_signup)
    target = v[sel] / p_signup[sel] * mass[sel]
    day = _bisect(lambda j: window_mass(j, sel) >= target, np.zeros(len(sel), dtype=np.int64),
                  np.full(len(sel), WINDOW - 1, dtype=np.int64))
    rr, kk = rr[sel], kk[sel]
    parts.append((rr, kk, day))
    count = _poisson(usage_mean[rr], _uniform(key[rr, kk], _U_USAGE_COUNT))
    g, index = ragged_arange(count)
    lag = np.minimum(np.floor(-TRIAL_USAGE_MEAN_LAG_DAYS * np.log(
        _uniform(key[rr[g], kk[g]], _U_USAGE_LAG, index))).astype(np.int64), TRIAL_USAGE_MAX_LAG_DAYS)
    parts.append((rr[g], kk[g], day[g] + lag))
    rows_, draws_, days_ = (np.concatenate(c) for c in zip(*parts))
    return rows_, draws_, np.full(len(rows_), -1, dtype=np.int64), days_


def _batch(inp: TruthInputs, leads: _Leads, plan: _Plan, cfg: GeneratorConfig, account: np.ndarray,
           t: np.ndarray, row: np.ndarray, scen: np.ndarray) -> np.ndarray:
    """Honest probabilities of the snapshots ``row`` whose scenario (account, t) is ``scen``."""
    sc = _episode_draws(inp, plan, cfg, account, t.astype(np.int64))
    mem = _members(inp, leads, cfg, sc)
    posterior = _new_colleague_count(inp, cfg, sc, mem)
    weight = np.exp(sc.log_weight - sc.log_weight.max(axis=1, keepdims=True))
    weight /= weight.sum(axis=1, keepdims=True)
    committee_steps = [_member_steps(leads, cfg, sc, mem), _new_colleague_steps(inp, cfg, sc, posterior)]

    K, R = sc.draws, len(row)
    entry_key = mem.scen * (leads.created.size + 1) + mem.lead
    entry = np.searchsorted(entry_key, scen * (leads.created.size + 1) + row)
    trial_steps = _trial_steps(leads, cfg, sc, mem, row, scen, entry)

    # The lead's hazard on the window days before any step: known part, and under each draw with a future
    # episode inside the window.
    days = np.arange(WINDOW)
    t_r = sc.t[scen]
    grid = (t_r - leads.created[row])[:, None] + days[None, :]
    calendar = t_r[:, None] + days[None, :]
    w = cfg.episode_activity_weight * leads.responsiveness[row][:, None]
    unworked = np.float64(np.float32(np.log(cfg.unworked_hazard_factor)))  # as the realized path rounds it
    eta = (leads.static[row][:, None] + inp.drift_by_day[calendar].astype(np.float64) * leads.drift_slope[row][:, None]
           + cfg.beta_in_market * sc.intensity[scen] + inp.ramp_by_day[calendar].astype(np.float64)
           + np.where(calendar >= leads.work_day[row][:, None], 0.0, unworked))
    known = leads.base_level[row[:, None], grid].astype(np.float64) + w * sc.intensity[scen]
    cum0 = np.cumsum(cfg.base_hazard * np.exp(eta) * known, axis=1)
    pr, pk = np.nonzero(sc.hit_index[scen] >= 0)
    pair = np.full((R, K), -1, dtype=np.int64)
    pair[pr, pk] = np.arange(len(pr))
    # float32 is plenty for a 90-day sum of daily hazards and halves the cost of the largest arrays
    f = sc.future[sc.hit_index[scen[pr], pk]]
    hazard_pair = eta.astype(np.float32)[pr]
    hazard_pair += np.float32(cfg.beta_in_market) * f
    np.exp(hazard_pair, out=hazard_pair)
    f *= w.astype(np.float32)[pr]
    f += known.astype(np.float32)[pr]
    hazard_pair *= f
    hazard_pair *= np.float32(cfg.base_hazard)
    del f
    # Pair-indexed arrays end with a padding entry, which index -1 (no pair) reads harmlessly.
    end_pair = np.append(hazard_pair.sum(axis=1, dtype=np.float64), 0.0)
    sub_of_pair = np.full(len(pr) + 1, -1, dtype=np.int64)
    cum_pair = np.zeros((1, WINDOW))

    def cumulative(r, k, j):
        """Window cumulative hazard before steps through index j (j = -1 gives 0, j = W - 1 the total)."""
        p = pair[r, k]
        jj = np.maximum(j, 0)
        sub = sub_of_pair[p]
        inside = np.where(sub >= 0, cum_pair[sub, jj], end_pair[p])
        value = np.where(p >= 0, inside, cum0[r, jj])
        return np.where(j >= 0, value, 0.0)

    engaged_others = np.add.reduceat(mem.engaged_before.astype(np.int64), mem.first)[scen] \
        - mem.engaged_before[entry]
    offset = t_r - leads.created[row]
    stride = leads.trial_stride
    trials_before = (np.searchsorted(leads.trial_keys, row * stride + offset)
                     - np.searchsorted(leads.trial_keys, row * stride))

    # Steps of the multiplier (1 + committee)^b_c (1 + trials)^b_t, as (row, draw, window day, committee?).
    rows_in_scenario = np.bincount(scen, minlength=sc.size)
    by_scenario = np.argsort(scen, kind="stable")
    scenario_first_row = np.cumsum(rows_in_scenario) - rows_in_scenario
    st_row, st_draw, st_day, st_committee = [], [], [], []
    for s, k, member, day in committee_steps:
        g, position = ragged_arange(rows_in_scenario[s])
        r = by_scenario[scenario_first_row[s[g]] + position]
        keep = member[g] != row[r]
        st_row.append(r[keep]), st_draw.append(k[g][keep]), st_day.append(day[g][keep])
        st_committee.append(np.ones(keep.sum(), dtype=np.int64))
    r, k, _, day = trial_steps
    keep = day < WINDOW
    st_row.append(r[keep]), st_draw.append(k[keep]), st_day.append(day[keep])
    st_committee.append(np.zeros(keep.sum(), dtype=np.int64))
    st_row, st_draw, st_day, st_committee = (np.concatenate(c) for c in (st_row, st_draw, st_day, st_committee))

    multiplier0 = (1.0 + engaged_others) ** cfg.beta_committee * (1.0 + trials_before) ** cfg.beta_trial
    # A review still ahead may disqualify the lead inside the window (the rep stops working it the day after):
    # the hazard is integrated through the review day too.
    review = leads.review_day[row] - t_r
    pending = (review >= 0) & (review < WINDOW - 1) & (leads.unqualified_chance[row] > 0)
    stepped = np.unique(np.concatenate([pair[st_row, st_draw], pair[pending].ravel()]))
    stepped = stepped[stepped >= 0]
    sub_of_pair[stepped] = np.arange(len(stepped))
    cum_pair = np.zeros((len(stepped) + 1, WINDOW))
    np.cumsum(hazard_pair[stepped], axis=1, dtype=np.float64, out=cum_pair[:-1])
    cum_pair[:-1, -1] = end_pair[stepped]
    del hazard_pair
    all_r, all_k = np.repeat(np.arange(R), K), np.tile(np.arange(K), R)
    end = cumulative(all_r, all_k, np.full(R * K, WINDOW - 1))
    cut = cumulative(all_r, all_k, np.repeat(np.where(pending, review, WINDOW - 1), K))
    dH = np.repeat(multiplier0, K) * end
    dH_cut = np.repeat(multiplier0, K) * cut
    if len(st_row):
        group = st_row * K + st_draw
        order = np.lexsort((st_day, group))
        group, st_row, st_draw, st_day, st_committee = (a[order] for a in (group, st_row, st_draw, st_day,
                                                                            st_committee))
        first = np.ones(len(group), dtype=bool)
        first[1:] = group[1:] != group[:-1]
        head = np.maximum.accumulate(np.where(first, np.arange(len(group)), 0))
        committee_cum, trial_cum = np.cumsum(st_committee), np.cumsum(1 - st_committee)
        committee = engaged_others[st_row] + committee_cum - np.where(head > 0, committee_cum[head - 1], 0)
        trials = trials_before[st_row] + trial_cum - np.where(head > 0, trial_cum[head - 1], 0)
        after = (1.0 + committee) ** cfg.beta_committee * (1.0 + trials) ** cfg.beta_trial
        before = np.where(first, multiplier0[st_row], np.concatenate([[0.0], after[:-1]]))
        start = cumulative(st_row, st_draw, st_day - 1)
        dH += np.bincount(group, weights=(after - before) * (end[group] - start), minlength=R * K)
        dH_cut += np.bincount(group, weights=(after - before) * np.maximum(cut[group] - start, 0.0),
                              minlength=R * K)
    kept = -np.expm1(-dH.reshape(R, K))
    disqualified = -np.expm1(-(dH_cut + cfg.unworked_hazard_factor * (dH - dH_cut)).reshape(R, K))
    chance = np.where(pending, leads.unqualified_chance[row], 0.0)[:, None]
    probability = (1.0 - chance) * kept + chance * disqualified
    return (probability * weight[scen]).sum(axis=1)
