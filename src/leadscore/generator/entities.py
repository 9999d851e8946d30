"""Accounts (companies) and leads (people): who exists, when they appear, and their hidden traits.

Accounts and the lead skeleton (account, creation time, id order) are drawn once for the whole run; they
are a few arrays of numbers. Personas (title, department, latent interest, ...) are drawn per chunk of
accounts so memory stays flat however many leads are asked for.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadscore.generator import vocab
from leadscore.generator.config import GeneratorConfig
from leadscore.generator.sampling import business_seconds, choose, uniform_index

N_EPISODES = 2
EPISODE_START_MIN = -60.0  # episode starts are uniform on [EPISODE_START_MIN, n_days)
EPISODE_LEAD_GAMMA_SHAPE = 2.0  # an episode-timed lead appears floor(start + Gamma(2, scale)) days in
SMALL_COMPANY_EMPLOYEES = 50  # below this size some people are owners / executives
SMALL_COMPANY_EXECUTIVE_SHARE = 0.15


@dataclass(frozen=True)
class Accounts:
    """Every company (or lone individual) in the world, one row per account, as parallel arrays.

    ``episode_*`` arrays have shape ``(n, 2)``: up to two in-market buying episodes per account
    (amplitude 0 when the slot is unused). Individuals are people with a personal mailbox and no company.
    """

    size: np.ndarray
    first_lead: np.ndarray
    is_individual: np.ndarray
    industry: np.ndarray
    sub_industry: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    country: np.ndarray
    tech_mask: np.ndarray
    account_type: np.ndarray
    in_crm: np.ndarray
    crm_lead_days: np.ndarray
    website_missing: np.ndarray
    enrichment_missing: np.ndarray
    name_adjective: np.ndarray
    name_noun: np.ndarray
    name_suffix: np.ndarray
    founded_year: np.ndarray
    shared_interest: np.ndarray
    episode_start: np.ndarray
    episode_scale: np.ndarray
    episode_amplitude: np.ndarray

    @property
    def n(self) -> int:
        """Number of accounts."""
        return len(self.size)

    @property
    def n_episodes(self) -> np.ndarray:
        """Number of buying episodes of each account."""
        return (self.episode_amplitude > 0).sum(axis=1)


@dataclass(frozen=True)
class LeadSkeleton:
    """Run-wide facts about each lead, in account order (a committee's leads are adjacent).

    ``number`` ranks leads by creation time (it becomes the lead id); ``duplicate_of`` is the global index
    of the lead this one re-enters (the same person typed in again), or -1.
    """

    account: np.ndarray
    created_day: np.ndarray
    created_second: np.ndarray
    duplicate_of: np.ndarray
    number: np.ndarray
    user_number: np.ndarray

    @property
    def n(self) -> int:
        """Number of leads."""
        return len(self.account)


@dataclass(frozen=True)
class Personas:
    """Chunk-local lead traits: firmographic links, persona, latent drivers and how the lead was entered.

    All arrays have one row per lead of the chunk; ``account`` holds global account indices and
    ``persona_source`` the chunk-local row whose persona a duplicate-person lead copies.
    """

    global_index: np.ndarray
    account: np.ndarray
    created_day: np.ndarray
    created_second: np.ndarray
    is_duplicate: np.ndarray
    persona_source: np.ndarray
    is_individual: np.ndarray
    is_student: np.ndarray
    is_competitor: np.ndarray
    personal_email: np.ndarray
    seniority: np.ndarray
    department: np.ndarray
    is_technical: np.ndarray
    source: np.ndarray
    interest: np.ndarray
    evaluation: np.ndarray
    webinar_affinity: np.ndarray
    half_life: np.ndarray
    engagement: np.ndarray
    responsiveness: np.ndarray
    authority: np.ndarray
    technical_fit: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    email_pattern: np.ndarray
    personal_domain: np.ndarray
    title_index: np.ndarray
    title_variant: np.ndarray
    title_suffix: np.ndarray
    company_variant: np.ndarray
    website_variant: np.ndarray
    firmographics_missing: np.ndarray
    country: np.ndarray
    product_interest: np.ndarray
    owner: np.ndarray
    invalid_email: np.ndarray
    second_device: np.ndarray

    @property
    def n(self) -> int:
        """Number of leads in the chunk."""
        return len(self.global_index)


def make_accounts(rng: np.random.Generator, n_leads: int, n_days: int, end_year: int,
                  cfg: GeneratorConfig) -> Accounts:
    """Draw the companies and their buying committees so that committee sizes sum to ``n_leads``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source.
    n_leads : int
        Total number of leads.
    n_days : int
        Length of the timeline in days.
    end_year : int
        Year of the end date (for founding years).
    cfg : GeneratorConfig
        Coefficients.

    Returns
    -------
    Accounts
    """
    candidate_individual = rng.random(n_leads) < cfg.individual_account_share
    candidate_size = np.where(candidate_individual, 1, choose(rng, cfg.committee_size_shares, n_leads) + 1)
    cumulative = np.cumsum(candidate_size)
    n = int(np.searchsorted(cumulative, n_leads)) + 1
    size = candidate_size[:n].copy()
    size[-1] -= cumulative[n - 1] - n_leads
    is_individual = candidate_individual[:n]

    industry = choose(rng, vocab.INDUSTRY_SHARES, n)
    sub_counts = np.array([len(s) for s in vocab.SUB_INDUSTRIES])
    sub_industry = uniform_index(rng, sub_counts[industry])
    log_employees = rng.normal(cfg.employees_log_median, cfg.employees_log_sigma, n)
    employees = np.clip(np.exp(log_employees), 5, 50_000).round().astype(np.int64)
    employees = np.where(is_individual, 1, employees)
    revenue = employees * np.exp(rng.normal(cfg.revenue_per_employee_log_median, cfg.revenue_per_employee_log_sigma, n))
    revenue = np.where(is_individual, np.nan, np.round(revenue, -3))
    country = choose(rng, vocab.COUNTRY_SHARES, n)

    size_shift = cfg.tech_size_slope * (np.log(employees) - np.log(120.0))
    tech_logits = np.asarray(vocab.TECHNOLOGY_LOGITS)[None, :] + size_shift[:, None]
    has_tech = rng.random((n, len(vocab.TECHNOLOGIES))) < 1.0 / (1.0 + np.exp(-tech_logits))
    has_tech &= ~is_individual[:, None]
    tech_mask = (has_tech.astype(np.int64) << np.arange(len(vocab.TECHNOLOGIES), dtype=np.int64)).sum(axis=1)

    account_type = np.where(is_individual, 0, choose(rng, cfg.account_type_shares, n))
    in_crm = (account_type > 0) | ((rng.random(n) < cfg.prospect_in_crm_share) & ~is_individual)
    crm_lead_days = np.where(account_type == 1, rng.integers(200, 1500, n), rng.integers(5, 400, n))

    founded_age = np.exp(rng.normal(np.log(6.0 + 5.0 * np.log10(employees)), 0.6))
    founded_year = np.maximum(end_year - np.round(founded_age), 1880).astype(np.int64)

    episode_count = choose(rng, cfg.episode_count_shares, n)
    slot_used = np.arange(N_EPISODES)[None, :] < episode_count[:, None]
    episode_start = rng.uniform(EPISODE_START_MIN, n_days, (n, N_EPISODES))
    episode_scale = rng.uniform(*cfg.episode_scale_days, (n, N_EPISODES))
    episode_amplitude = np.where(slot_used, rng.uniform(*cfg.episode_amplitude, (n, N_EPISODES)), 0.0)

    return Accounts(
        size=size,
        first_lead=np.cumsum(size) - size,
        is_individual=is_individual,
        industry=industry,
        sub_industry=sub_industry,
        employees=employees,
        revenue=revenue,
        country=country,
        tech_mask=tech_mask,
        account_type=account_type,
        in_crm=in_crm,
        crm_lead_days=crm_lead_days,
        website_missing=rng.random(n) < cfg.account_website_missing,
        enrichment_missing=rng.random(n) < cfg.enrichment_missing,
        name_adjective=rng.integers(0, len(vocab.COMPANY_ADJECTIVES), n),
        name_noun=rng.integers(0, len(vocab.COMPANY_NOUNS[0]), n),
        name_suffix=choose(rng, vocab.COMPANY_SUFFIX_SHARES, n),
        founded_year=founded_year,
        shared_interest=rng.normal(0.0, 1.0, n),
        episode_start=episode_start.astype(np.float32),
        episode_scale=episode_scale.astype(np.float32),
        episode_amplitude=episode_amplitude.astype(np.float32),
    )


def growing_volume_days(rng: np.random.Generator, size: int, n_days: int, growth: float) -> np.ndarray:
    """Days drawn from a density rising linearly by ``growth`` over the timeline (inverse CDF)."""
    u = rng.random(size)
    if growth <= 0:
        x = u
    else:
        x = (-1.0 + np.sqrt(1.0 + 2.0 * growth * u * (1.0 + growth / 2.0))) / growth
    return np.minimum((x * n_days).astype(np.int64), n_days - 1)


def make_lead_skeleton(rng: np.random.Generator, accounts: Accounts, n_days: int,
                       cfg: GeneratorConfig) -> LeadSkeleton:
    """Assign every lead its account, creation time, duplicate-person link, id rank and web user number.

    Leads of an in-market account are partly created during its buying episodes; the rest follow the
    slowly growing overall volume.
    """
    n = int(accounts.size.sum())
    account = np.repeat(np.arange(accounts.n), accounts.size)
    created_day = growing_volume_days(rng, n, n_days, cfg.volume_growth)

    n_episodes = accounts.n_episodes[account]
    slot = np.where(n_episodes == 2, rng.integers(0, 2, n), 0)
    episode_timed = (n_episodes > 0) & (rng.random(n) < cfg.episode_lead_timing_share)
    start = accounts.episode_start[account, slot].astype(np.float64)
    scale = accounts.episode_scale[account, slot].astype(np.float64)
    episode_day = np.floor(start + rng.gamma(EPISODE_LEAD_GAMMA_SHAPE, scale)).astype(np.int64)
    use_episode = episode_timed & (episode_day >= 0) & (episode_day < n_days)
    created_day = np.where(use_episode, episode_day, created_day)
    created_second = business_seconds(rng, n)

    position = np.arange(n) - accounts.first_lead[account]
    raw = (position > 0) & ~accounts.is_individual[account] & (rng.random(n) < cfg.duplicate_person_share)
    raw &= ~np.concatenate([[False], raw[:-1]])  # the original of a duplicate is never itself a duplicate
    lag = rng.integers(*cfg.duplicate_person_lag_days, n)
    previous_day = np.concatenate([[0], created_day[:-1]])
    is_duplicate = raw & (previous_day + lag < n_days)
    created_day = np.where(is_duplicate, previous_day + lag, created_day)
    duplicate_of = np.where(is_duplicate, np.arange(n) - 1, -1)

    order = np.lexsort((np.arange(n), created_second, created_day))
    number = np.empty(n, dtype=np.int64)
    number[order] = np.arange(1, n + 1)
    return LeadSkeleton(
        account=account,
        created_day=created_day.astype(np.int64),
        created_second=created_second,
        duplicate_of=duplicate_of,
        number=number,
        user_number=rng.permutation(n).astype(np.int64) + 1,
    )


def chunk_bounds(accounts: Accounts, chunk_leads: int) -> list[tuple[int, int, int, int]]:
    """Split accounts into contiguous chunks of about ``chunk_leads`` leads.

    Returns
    -------
    list of tuple
        ``(first_account, end_account, first_lead, end_lead)`` per chunk (ends exclusive).
    """
    cumulative = np.cumsum(accounts.size)
    total = int(cumulative[-1])
    ends = np.searchsorted(cumulative, np.arange(chunk_leads, total, chunk_leads), side="left") + 1
    ends = np.unique(np.concatenate([ends, [accounts.n]]))
    starts = np.concatenate([[0], ends[:-1]])
    lead_start = accounts.first_lead[starts]
    lead_end = np.concatenate([lead_start[1:], [total]])
    return [(int(a), int(b), int(c), int(d)) for a, b, c, d in zip(starts, ends, lead_start, lead_end)]


def _title_lookup() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Flat title list with per-group offsets and counts; the last group holds student titles."""
    groups = list(vocab.TITLE_GROUPS) + [vocab.STUDENT_TITLES]
    counts = np.array([len(g) for g in groups], dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    return offsets, counts, [t for g in groups for t in g]


TITLE_OFFSETS, TITLE_COUNTS, TITLES = _title_lookup()
STUDENT_TITLE_GROUP = len(vocab.TITLE_GROUPS)


def make_personas(rng: np.random.Generator, accounts: Accounts, skeleton: LeadSkeleton, lead_start: int,
                  lead_end: int, cfg: GeneratorConfig) -> Personas:
    """Draw the persona, latent drivers and data-entry quirks of the leads ``lead_start:lead_end``.

    Latents: buying interest ``interest`` (partly shared within the committee), technical evaluation
    ``evaluation``, webinar affinity (executives high), activity half-life, engagement and responsiveness to
    the account's buying episodes. A duplicate-person lead copies the persona of its original.
    """
    n = lead_end - lead_start
    global_index = np.arange(lead_start, lead_end)
    account = skeleton.account[lead_start:lead_end]
    is_individual = accounts.is_individual[account]
    employees = accounts.employees[account]
    is_duplicate = skeleton.duplicate_of[lead_start:lead_end] >= 0
    persona_source = np.where(is_duplicate, np.arange(n) - 1, np.arange(n))

    is_student = is_individual & (rng.random(n) < cfg.student_share_of_individuals)
    seniority = choose(rng, cfg.seniority_shares, n)
    individual_seniority = choose(rng, (0.0, 0.45, 0.05, 0.05, 0.05, 0.4), n)
    seniority = np.where(is_individual, individual_seniority, seniority)
    seniority = np.where((employees < SMALL_COMPANY_EMPLOYEES) & ~is_individual
                         & (rng.random(n) < SMALL_COMPANY_EXECUTIVE_SHARE), 5, seniority)
    seniority = np.where(is_student, 0, seniority)
    department = choose(rng, cfg.department_shares, n)
    department = np.where(is_student, choose(rng, (0.4, 0.3, 0, 0, 0, 0, 0, 0, 0.3), n), department)
    personal_email = is_individual | (rng.random(n) < cfg.personal_email_share)

    source = choose(rng, vocab.LEAD_SOURCE_SHARES, n)
    source = np.where((seniority >= 3) & (rng.random(n) < 0.1), 6, source)
    source = np.where(is_individual & np.isin(source, (5, 6, 7)), 0, source)
    duplicate_sources = np.asarray(vocab.DUPLICATE_PERSON_SOURCES)
    source = np.where(is_duplicate, duplicate_sources[rng.integers(0, len(duplicate_sources), n)], source)

    rho = cfg.interest_account_share
    interest = rho * accounts.shared_interest[account] + np.sqrt(1.0 - rho**2) * rng.normal(0.0, 1.0, n)
    evaluation = rng.normal(0.0, 1.0, n)
    webinar_affinity = (cfg.webinar_affinity_noise * rng.normal(0.0, 1.0, n)
                        + np.asarray(cfg.webinar_affinity_by_seniority)[seniority])
    low, high = cfg.half_life_days
    half_life = np.exp(rng.uniform(np.log(low), np.log(high), n))
    engagement = np.exp(cfg.engagement_noise * rng.normal(0.0, 1.0, n) + cfg.engagement_interest_loading * interest)
    responsiveness = rng.uniform(0.5, 1.5, n)

    group = np.where(is_student, STUDENT_TITLE_GROUP, seniority * len(vocab.DEPARTMENTS) + department)
    title_index = TITLE_OFFSETS[group] + uniform_index(rng, TITLE_COUNTS[group])
    odd_case = rng.random(n) < cfg.odd_title_case
    title_variant = np.where(odd_case, rng.integers(1, 3, n), 0)  # 1 upper, 2 lower
    title_suffix = np.where(rng.random(n) < cfg.odd_title_suffix,
                            rng.integers(0, len(vocab.TITLE_ODD_SUFFIXES), n), -1)
    interest_by_department = np.array([
        (0.2, 0.45, 0.25, 0.1, 0.0), (0.35, 0.3, 0.2, 0.15, 0.0), (0.15, 0.4, 0.1, 0.35, 0.0),
        (0.45, 0.1, 0.4, 0.05, 0.0), (0.4, 0.1, 0.45, 0.05, 0.0), (0.6, 0.1, 0.1, 0.2, 0.0),
        (0.4, 0.3, 0.2, 0.1, 0.0), (0.4, 0.2, 0.2, 0.2, 0.0), (0.3, 0.3, 0.2, 0.2, 0.0),
    ])
    cumulative = np.cumsum(interest_by_department[department], axis=1)
    product_interest = (rng.random(n)[:, None] > cumulative).sum(axis=1)
    product_interest = np.where(rng.random(n) < cfg.product_interest_missing, -1, np.minimum(product_interest, 4))

    is_technical = np.isin(department, vocab.TECHNICAL_DEPARTMENTS)
    authority = np.asarray(cfg.authority)[seniority]
    technical_fit = np.asarray(cfg.technical_fit_technical)[seniority] * np.where(
        is_technical, 1.0, cfg.technical_fit_other_factor)

    country = np.where(rng.random(n) < cfg.lead_country_differs,
                       choose(rng, vocab.COUNTRY_SHARES, n), accounts.country[account])

    def persona(values: np.ndarray) -> np.ndarray:
        return values[persona_source]

    return Personas(
        global_index=global_index,
        account=account,
        created_day=skeleton.created_day[lead_start:lead_end],
        created_second=skeleton.created_second[lead_start:lead_end],
        is_duplicate=is_duplicate,
        persona_source=persona_source,
        is_individual=is_individual,
        is_student=persona(is_student),
        is_competitor=accounts.account_type[account] == 3,
        personal_email=persona(personal_email),
        seniority=persona(seniority),
        department=persona(department),
        is_technical=persona(is_technical),
        source=source,
        interest=persona(interest),
        evaluation=persona(evaluation),
        webinar_affinity=persona(webinar_affinity),
        half_life=persona(half_life),
        engagement=persona(engagement),
        responsiveness=persona(responsiveness),
        authority=persona(authority),
        technical_fit=persona(technical_fit),
        first_name=persona(rng.integers(0, len(vocab.FIRST_NAMES), n)),
        last_name=persona(rng.integers(0, len(vocab.LAST_NAMES), n)),
        email_pattern=persona(rng.integers(0, 5, n)),
        personal_domain=persona(choose(rng, vocab.PERSONAL_EMAIL_SHARES, n)),
        title_index=persona(title_index),
        title_variant=persona(title_variant),
        title_suffix=persona(title_suffix),
        company_variant=np.where(rng.random(n) < 0.15, rng.integers(1, 3, n), 0),
        website_variant=np.where(rng.random(n) < cfg.lead_website_missing, -1, rng.integers(0, 5, n)),
        firmographics_missing=rng.random(n) < cfg.lead_field_missing,
        country=persona(country),
        product_interest=product_interest,
        owner=rng.integers(0, cfg.sales_reps, n),
        invalid_email=rng.random(n) < cfg.invalid_email_share,
        second_device=rng.random(n) < cfg.second_device_share,
    )


def icp_technology_count(tech_mask: np.ndarray) -> np.ndarray:
    """Number of ideal-customer-profile technologies in each technology bitmask."""
    icp_bits = [vocab.TECHNOLOGIES.index(t) for t in vocab.ICP_TECHNOLOGIES]
    return sum(((tech_mask >> bit) & 1) for bit in icp_bits)
