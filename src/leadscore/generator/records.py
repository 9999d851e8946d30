"""Turning simulated arrays into the raw tables (Arrow), as the CRM, Segment and the other tools land them.

Functions here take numbers from the simulation and return :class:`pyarrow.Table` objects whose columns
match :data:`leadscore.generator.tables.TABLES`. Everything stays vectorised: strings are assembled with
Arrow compute kernels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadscore.generator import vocab
from leadscore.generator.activity import EMAIL_EVENT_TYPES, N_CURVE_KINDS, TRACK_NAME_OF_KIND
from leadscore.generator.config import MICROS_PER_DAY, MICROS_PER_SECOND, GeneratorConfig, Timeline
from leadscore.generator.entities import TITLES, Accounts, LeadSkeleton, Personas
from leadscore.generator.outcomes import TruthSnapshots
from leadscore.generator.sampling import business_seconds, choose
from leadscore.generator.strings import (concat, hex_ids, join_skipping_nulls, null_where, padded_ids, scramble,
                                         swap_case_variant, take, vocab_array, where)

ID_DIGITS = 12
_NOUNS = tuple(noun for group in vocab.COMPANY_NOUNS for noun in group)
_NOUNS_PER_INDUSTRY = len(vocab.COMPANY_NOUNS[0])
_SUB_INDUSTRIES = tuple(s for group in vocab.SUB_INDUSTRIES for s in group)
_SUB_INDUSTRY_OFFSETS = np.cumsum([0] + [len(g) for g in vocab.SUB_INDUSTRIES[:-1]])
_TITLES = vocab_array(TITLES)


# ---------------------------------------------------------------- column helpers

def timestamps(micros: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Arrow ``timestamp[us]`` from epoch microseconds (nulls where ``missing``)."""
    return pa.array(np.asarray(micros, dtype=np.int64), type=pa.timestamp("us"), mask=missing)


def dates(epoch_days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Arrow ``date32`` from days since 1970-01-01 (nulls where ``missing``)."""
    return pa.array(np.asarray(epoch_days, dtype=np.int32), type=pa.date32(), mask=missing)


def flags(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Independent booleans true with probability ``share``."""
    return rng.random(n) < share


def synced_micros(rng: np.random.Generator, last_modified: np.ndarray, end_micros: int) -> np.ndarray:
    """When the connector last synced a row: after its last change, before the end date (mostly recently)."""
    lag = (rng.exponential(2.0, len(last_modified)) * MICROS_PER_DAY).astype(np.int64)
    synced = np.maximum(end_micros - 1 - lag, np.asarray(last_modified, dtype=np.int64) + MICROS_PER_SECOND)
    return np.minimum(synced, end_micros - 1)


class IdCounters:
    """Running numbers per id space, so ids stay unique across chunks."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, space: str, n: int) -> np.ndarray:
        """The next ``n`` numbers of an id space (starting at 1)."""
        start = self._next.get(space, 1)
        self._next[space] = start + n
        return np.arange(start, start + n, dtype=np.int64)


# ---------------------------------------------------------------- names, emails, ids

def account_names(idx: np.ndarray, accounts: Accounts) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Name, short name (no legal suffix) and unique web domain of accounts, e.g. ``acme-robotics-123.com``."""
    adjective = take(vocab.COMPANY_ADJECTIVES, accounts.name_adjective[idx])
    noun = take(_NOUNS, accounts.industry[idx] * _NOUNS_PER_INDUSTRY + accounts.name_noun[idx])
    short = concat(adjective, " ", noun)
    name = concat(short, take(vocab.COMPANY_SUFFIXES, accounts.name_suffix[idx]))
    number = pc.cast(pa.array(np.asarray(idx, dtype=np.int64) + 1), pa.string())
    domain = concat(pc.utf8_lower(adjective), "-", pc.utf8_lower(noun), "-", number,
                    take(vocab.COUNTRY_TLDS, accounts.country[idx]))
    return name, short, domain


@dataclass(frozen=True)
class LeadStrings:
    """String columns of a chunk's leads; ``domain`` is the company domain (null without a company)."""

    lead_id: pa.Array
    email: pa.Array
    email_lower: pa.Array
    first_name: pa.Array
    last_name: pa.Array
    title: pa.Array
    company: pa.Array
    website: pa.Array
    domain: pa.Array
    user_id: pa.Array
    anonymous_ids: tuple[pa.Array, pa.Array]


def lead_strings(rng: np.random.Generator, personas: Personas, accounts: Accounts, skeleton: LeadSkeleton,
                 cfg: GeneratorConfig) -> LeadStrings:
    """Ids, names, emails (odd case sometimes, personal mailboxes), titles, company and website as entered.

    A duplicate-person lead repeats its original's email in a different case.
    """
    p = personas
    n = p.n
    name, short_name, domain = account_names(p.account, accounts)
    first = take(vocab.FIRST_NAMES, p.first_name)
    last = take(vocab.LAST_NAMES, p.last_name)
    first_slug = take(vocab.FIRST_NAME_SLUGS, p.first_name)
    last_slug = take(vocab.LAST_NAME_SLUGS, p.last_name)
    initial = pc.utf8_slice_codeunits(first_slug, 0, 1)
    company_local = pc.choose(pa.array(p.email_pattern), concat(first_slug, ".", last_slug),
                              concat(initial, last_slug), first_slug, concat(first_slug, "_", last_slug),
                              concat(first_slug, pc.utf8_slice_codeunits(last_slug, 0, 1)))
    # Two people of one committee with the same name get a number.
    key = p.account.astype(np.int64) * 10_000 + p.first_name * 100 + p.last_name
    _, first_seen = np.unique(key, return_index=True)
    clash = np.ones(n, dtype=bool)
    clash[first_seen] = False
    clash &= ~p.is_duplicate
    position = np.arange(n) - (accounts.first_lead[p.account] - p.global_index[0])
    company_local = where(clash, concat(company_local, pc.cast(pa.array(position + 1), pa.string())), company_local)
    person_number = pc.cast(pa.array(p.global_index[p.persona_source] + 1), pa.string())
    personal_local = where(p.email_pattern % 2 == 0, concat(first_slug, ".", last_slug, person_number),
                           concat(first_slug, last_slug, person_number))
    email_domain = where(p.personal_email, take(vocab.PERSONAL_EMAIL_DOMAINS, p.personal_domain), domain)
    email = concat(where(p.personal_email, personal_local, company_local), "@", email_domain)
    odd = flags(rng, n, cfg.odd_email_case)
    email = where(odd, swap_case_variant(email, rng.random(n) < 0.3), email)
    original = email.take(pa.array(p.persona_source))
    retyped = swap_case_variant(original, rng.random(n) < 0.5)
    retyped = where(pc.equal(retyped, original).to_numpy(zero_copy_only=False), pc.utf8_lower(original), retyped)
    email = where(p.is_duplicate, retyped, email)

    title = _TITLES.take(pa.array(p.title_index))
    title = pc.choose(pa.array(p.title_variant), title, pc.utf8_upper(title), pc.utf8_lower(title))
    title = where(p.title_suffix >= 0, concat(title, take(vocab.TITLE_ODD_SUFFIXES, np.maximum(p.title_suffix, 0))),
                  title)

    company = pc.choose(pa.array(p.company_variant), name, short_name, pc.utf8_lower(name))
    no_company = where(p.is_student, take(vocab.UNIVERSITIES, rng.integers(0, len(vocab.UNIVERSITIES), n)),
                       take(vocab.NO_COMPANY_VALUES, rng.integers(0, len(vocab.NO_COMPANY_VALUES), n)))
    company = where(p.is_individual, no_company, company)
    company_domain = null_where(p.is_individual, domain)
    website = pc.choose(pa.array(np.maximum(p.website_variant, 0)), concat("www.", domain), concat("https://", domain),
                        domain, concat("http://www.", domain, "/"), concat("https://www.", domain))
    website = null_where(p.is_individual | (p.website_variant < 0), website)

    n_total = skeleton.n
    user_width = max(6, len(str(n_total)))
    return LeadStrings(
        lead_id=padded_ids("00Q", skeleton.number[p.global_index], ID_DIGITS),
        email=email,
        email_lower=pc.utf8_lower(email),
        first_name=first,
        last_name=last,
        title=title,
        company=company,
        website=website,
        domain=company_domain,
        user_id=padded_ids("u_", skeleton.user_number[p.global_index[p.persona_source]], user_width),
        anonymous_ids=(hex_ids("", scramble(2 * p.global_index)), hex_ids("", scramble(2 * p.global_index + 1))),
    )


# ---------------------------------------------------------------- web analytics

def message_ids(prefix: str, numbers: np.ndarray, salt: int) -> pa.Array:
    """Opaque event ids: a prefix and 12 hex digits; each ``salt`` gives a different-looking sequence."""
    return hex_ids(prefix, scramble(numbers + (salt << 40)))


@dataclass(frozen=True)
class WebEvents:
    """Web events of a chunk before identity stitching: lead row, timestamp, device and event code.

    Codes below 100 are page kinds; ``100 + k`` is :data:`vocab.TRACK_EVENTS` ``[k]``.
    """

    row: np.ndarray
    micros: np.ndarray
    device: np.ndarray
    code: np.ndarray


TRACK_CODE = {name: 100 + k for k, name in enumerate(vocab.TRACK_EVENTS)}
# Web event code of each curve-driven event kind (pages keep their kind; tasks are not web events).
WEB_CODE_OF_KIND = np.array([TRACK_CODE[TRACK_NAME_OF_KIND[k]] if k in TRACK_NAME_OF_KIND else k
                             for k in range(N_CURVE_KINDS)])


def device_anonymous_ids(strings: LeadStrings, row: np.ndarray, device: np.ndarray) -> pa.Array:
    """Anonymous (cookie) id of each lead row's device 0 or 1."""
    first, second = (ids.take(pa.array(row)) for ids in strings.anonymous_ids)
    return where(device == 1, second, first)


def identify_times(personas: Personas, events: WebEvents, created_micros: np.ndarray) -> np.ndarray:
    """When each of a lead's two devices is identified (``(n, 2)`` micros; int64 max when never).

    A lead created by a form on the site is identified on its first device at creation; any other lead
    at its first visit after creation (an email link). The second device is identified at its first visit
    after the first device was.
    """
    never = np.iinfo(np.int64).max
    n = personas.n
    web_form = np.isin(personas.source, vocab.WEB_FORM_SOURCES) & ~personas.is_duplicate
    first_device = np.full(n, never, dtype=np.int64)
    after = (events.device == 0) & (events.micros >= created_micros[events.row])
    np.minimum.at(first_device, events.row[after], events.micros[after])
    first_device = np.where(web_form, created_micros, first_device)
    second_device = np.full(n, never, dtype=np.int64)
    after = (events.device == 1) & (events.micros >= first_device[events.row])
    np.minimum.at(second_device, events.row[after], events.micros[after])
    return np.column_stack([first_device, second_device])


def web_tables(rng: np.random.Generator, events: WebEvents, personas: Personas, strings: LeadStrings,
               created_micros: np.ndarray, ids: IdCounters, n_leads_total: int, timeline: Timeline,
               cfg: GeneratorConfig) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Segment ``pages``, ``tracks`` and ``identifies`` for a chunk, plus never-identified visitors' pages.

    Events before a device is identified have a null ``user_id``; identify rows link each identified
    anonymous id to the lead's user id.

    Returns
    -------
    tuple
        ``(pages, tracks, identifies)``.
    """
    identified_at = identify_times(personas, events, created_micros)
    known = events.micros >= identified_at[events.row, events.device]
    anonymous_id = device_anonymous_ids(strings, events.row, events.device)
    user_id = null_where(~known, strings.user_id.take(pa.array(events.row)))

    is_page = events.code < 100
    page_kind = events.code[is_page]
    n_pages = int(is_page.sum())
    # Visitors who never identify themselves (about 3% of all page views).
    n_noise = int(round(n_pages * cfg.anonymous_page_share / (1.0 - cfg.anonymous_page_share)))
    n_visitors = max(n_noise // 3, 1)
    visitor = ids.take("visitor", n_visitors)[rng.integers(0, n_visitors, n_noise)]
    noise_micros = timeline.micros(rng.integers(0, timeline.n_days, n_noise), business_seconds(rng, n_noise))
    noise_kind = choose(rng, vocab.ANONYMOUS_VISITOR_PAGE_SHARES, n_noise)

    catalog_kind = np.array([k for k, _, _ in vocab.PAGE_CATALOG])
    kind_counts = np.bincount(catalog_kind, minlength=len(vocab.PAGE_KINDS))
    kind_offsets = np.cumsum(kind_counts) - kind_counts
    all_kinds = np.concatenate([page_kind, noise_kind])
    page = kind_offsets[all_kinds] + (rng.random(len(all_kinds)) * kind_counts[all_kinds]).astype(np.int64)
    paths = vocab_array([path for _, path, _ in vocab.PAGE_CATALOG])
    page_micros = np.concatenate([events.micros[is_page], noise_micros])
    page_ids = message_ids("p", ids.take("page", len(page_micros)), salt=1)
    pages = pa.table({
        "id": page_ids,
        "anonymous_id": pa.concat_arrays([anonymous_id.filter(pa.array(is_page)),
                                          hex_ids("", scramble(2 * n_leads_total + visitor))]),
        "user_id": pa.concat_arrays([user_id.filter(pa.array(is_page)), pa.nulls(n_noise, pa.string())]),
        "timestamp": timestamps(page_micros),
        "path": paths.take(pa.array(page)),
        "url": concat(vocab.SITE_URL, paths.take(pa.array(page))),
        "title": take([title for _, _, title in vocab.PAGE_CATALOG], page),
        "referrer": take(vocab.REFERRERS, choose(rng, vocab.REFERRER_SHARES, len(page))),
    })

    is_track = ~is_page
    track_micros = events.micros[is_track]
    tracks = pa.table({
        "id": message_ids("t", ids.take("track", int(is_track.sum())), salt=2),
        "anonymous_id": anonymous_id.filter(pa.array(is_track)),
        "user_id": user_id.filter(pa.array(is_track)),
        "timestamp": timestamps(track_micros),
        "event": take(vocab.TRACK_EVENTS, events.code[is_track] - 100),
    })

    lead, device = np.nonzero(identified_at < timeline.end_micros)
    identify_micros = identified_at[lead, device]
    identifies = pa.table({
        "id": message_ids("i", ids.take("identify", len(lead)), salt=3),
        "anonymous_id": device_anonymous_ids(strings, lead, device),
        "user_id": strings.user_id.take(pa.array(lead)),
        "email": where(rng.random(len(lead)) < 0.8, strings.email_lower.take(pa.array(lead)),
                       strings.email.take(pa.array(lead))),
        "timestamp": timestamps(identify_micros),
    })
    return pages, tracks, identifies


# ---------------------------------------------------------------- marketing email, product, signals

def email_table(rng: np.random.Generator, events_row: np.ndarray, micros: np.ndarray, event_type: np.ndarray,
                nurture_step: np.ndarray, send_day: np.ndarray, strings: LeadStrings, ids: IdCounters,
                timeline: Timeline) -> pa.Table:
    """Marketing email events; nurture steps and monthly newsletters are the email campaigns."""
    send_date = np.datetime64("1970-01-01", "D") + timeline.epoch_days(send_day).astype("timedelta64[D]")
    month_index = send_date.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    month_label = concat("newsletter_", pc.cast(pa.array(month_index // 12), pa.string()), "_",
                         pc.utf8_lpad(pc.cast(pa.array(month_index % 12 + 1), pa.string()), width=2, padding="0"))
    nurture_label = concat("nurture_step_", pc.utf8_lpad(pc.cast(pa.array(nurture_step + 1), pa.string()),
                                                         width=2, padding="0"))
    row = pa.array(events_row)
    return pa.table({
        "id": padded_ids("em_", ids.take("email", len(events_row)), ID_DIGITS),
        "email_address": where(rng.random(len(events_row)) < 0.9, strings.email_lower.take(row),
                               strings.email.take(row)),
        "email_campaign_id": where(nurture_step >= 0, nurture_label, month_label),
        "event_type": take(EMAIL_EVENT_TYPES, event_type),
        "occurred_at": timestamps(micros),
    })


def trial_table(row: np.ndarray, micros: np.ndarray, name: np.ndarray, personas: Personas, strings: LeadStrings,
                ids: IdCounters) -> pa.Table:
    """Free-trial product events; the workspace domain is the company's (null for personal mailboxes)."""
    taken = pa.array(row)
    return pa.table({
        "id": padded_ids("tr_", ids.take("trial", len(row)), ID_DIGITS),
        "email": strings.email_lower.take(taken),
        "account_domain": null_where(personas.personal_email[row], strings.domain.take(taken)),
        "event_name": take(vocab.TRIAL_EVENTS, name),
        "occurred_at": timestamps(micros),
    })


def tech_stack_strings(tech_mask: np.ndarray) -> pa.Array:
    """Comma-separated technology names of bitmasks."""
    parts = [where(((tech_mask >> bit) & 1).astype(bool), name, None) for bit, name in enumerate(vocab.TECHNOLOGIES)]
    return join_skipping_nulls(parts, ",")


def enrichment_table(rng: np.random.Generator, idx: np.ndarray, accounts: Accounts, timeline: Timeline,
                     cfg: GeneratorConfig) -> pa.Table:
    """Third-party firmographics for company domains (about 20% of domains are never enriched).

    Values are noisy readings of the truth; the technology list misses some and adds a few. The vendor refreshes
    rows in place, so ``enriched_at`` is the last refresh: mostly weeks before the end date, for some rows months.
    """
    idx = idx[~accounts.is_individual[idx] & ~accounts.enrichment_missing[idx]]
    n = len(idx)
    _, _, domain = account_names(idx, accounts)
    employees = np.maximum(np.round(accounts.employees[idx] * np.exp(rng.normal(0, 0.15, n))), 1).astype(np.int64)
    revenue = np.round(accounts.revenue[idx] * np.exp(rng.normal(0, 0.2, n)), -3)
    industry = np.where(rng.random(n) < 0.05, choose(rng, vocab.INDUSTRY_SHARES, n), accounts.industry[idx])
    n_tech = len(vocab.TECHNOLOGIES)
    bits = (accounts.tech_mask[idx][:, None] >> np.arange(n_tech)) & 1
    seen = np.where(bits == 1, rng.random((n, n_tech)) < 0.85, rng.random((n, n_tech)) < 0.02)
    observed_mask = (seen.astype(np.int64) << np.arange(n_tech, dtype=np.int64)).sum(axis=1)
    days_ago = np.where(rng.random(n) < cfg.enrichment_stale_share, rng.integers(0, 365, n),
                        rng.exponential(cfg.enrichment_refresh_mean_days, n).astype(np.int64))
    enriched_day = np.clip(timeline.n_days - 1 - days_ago, 0, timeline.n_days - 1)
    return pa.table({
        "domain": domain,
        "employee_count": pa.array(employees),
        "annual_revenue": pa.array(revenue),
        "industry": take(vocab.INDUSTRIES, industry),
        "sub_industry": take(_SUB_INDUSTRIES,
                             _SUB_INDUSTRY_OFFSETS[accounts.industry[idx]] + accounts.sub_industry[idx]),
        "country": take(vocab.COUNTRIES, accounts.country[idx]),
        "founded_year": pa.array(accounts.founded_year[idx]),
        "tech_stack": tech_stack_strings(observed_mask),
        "enriched_at": timestamps(timeline.micros(enriched_day, business_seconds(rng, n))),
    })


def intent_table(account: np.ndarray, topic: np.ndarray, week_day: np.ndarray, score: np.ndarray,
                 accounts: Accounts, timeline: Timeline) -> pa.Table:
    """Weekly intent-surge rows per company domain and topic."""
    _, _, domain = account_names(account, accounts)
    return pa.table({
        "domain": domain,
        "topic": take(vocab.INTENT_TOPICS, topic),
        "composite_score": pa.array(score.astype(np.float64)),
        "week_start_date": dates(timeline.epoch_days(week_day)),
    })


def truth_table(truth: TruthSnapshots, worked: np.ndarray, strings: LeadStrings, timeline: Timeline) -> pa.Table:
    """Weekly 90-day conversion probabilities (evaluation only; no model reads them): the honest one given
    the world at the Monday, and the one given the realized future path."""
    return pa.table({
        "lead_id": strings.lead_id.take(pa.array(truth.row)),
        "as_of_date": dates(timeline.epoch_days(truth.as_of_day)),
        "true_probability": pa.array(truth.probability, from_pandas=True),  # NaN (not computed) -> null
        "is_worked": pa.array(worked[truth.row]),
        "realized_path_probability": pa.array(truth.realized_path_probability),
    })
