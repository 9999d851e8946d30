{#-
    Score distribution drift: the live model's scores on its test split (the period its score scale was fitted
    on) against today's scores, in ten score buckets (1-10, ..., 91-99). Today's side keeps the leads younger
    than max_snapshot_age_days, the population test snapshots come from; psi repeats the bucket terms' sum.
-#}

with

test_predictions as (
    select * from {{ ref('ml_test_predictions') }}
),

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

open_leads as (
    select * from {{ ref('int_open_leads_to_score') }}
),

champion as (
    select * from {{ ref('ml_champion_model') }}
),

score_buckets as (
    {{ dbt.generate_series(10) }}
),

live_model as (
    select model_version
    from champion
    where scoring_method = 'model'
),

buckets as (
    select
        live_model.model_version,
        score_buckets.generated_number as score_bucket,
        (score_buckets.generated_number - 1) * 10 + 1 as min_score,
        least(score_buckets.generated_number * 10, 99) as max_score
    from live_model
    cross join score_buckets
),

reference_scores as (
    select
        test_predictions.model_version,
        test_predictions.lead_score
    from test_predictions
    inner join live_model
        on test_predictions.model_version = live_model.model_version
),

current_scores as (
    select
        lead_scores.model_version,
        lead_scores.lead_score
    from lead_scores
    inner join live_model
        on lead_scores.model_version = live_model.model_version
    inner join open_leads
        on lead_scores.lead_id = open_leads.lead_id
    where open_leads.lead_age_days <= {{ positive_int_var('max_snapshot_age_days', 182) }}
),

reference_counts as (
    select
        buckets.model_version,
        buckets.score_bucket,
        count(reference_scores.lead_score) as reference_snapshots
    from buckets
    left join reference_scores
        on
            buckets.model_version = reference_scores.model_version
            and reference_scores.lead_score between buckets.min_score and buckets.max_score
    group by 1, 2
),

current_counts as (
    select
        buckets.model_version,
        buckets.score_bucket,
        count(current_scores.lead_score) as current_leads
    from buckets
    left join current_scores
        on
            buckets.model_version = current_scores.model_version
            and current_scores.lead_score between buckets.min_score and buckets.max_score
    group by 1, 2
),

bucket_counts as (
    select
        buckets.model_version,
        buckets.score_bucket,
        buckets.min_score,
        buckets.max_score,
        reference_counts.reference_snapshots,
        current_counts.current_leads
    from buckets
    inner join reference_counts
        on
            buckets.model_version = reference_counts.model_version
            and buckets.score_bucket = reference_counts.score_bucket
    inner join current_counts
        on
            buckets.model_version = current_counts.model_version
            and buckets.score_bucket = current_counts.score_bucket
),

bucket_shares as (
    select
        *,
        {{ safe_divide('reference_snapshots', 'sum(reference_snapshots) over (partition by model_version)') }}
            as reference_share,
        {{ safe_divide('current_leads', 'sum(current_leads) over (partition by model_version)') }}
            as current_share
    from bucket_counts
),

bucket_terms as (
    select
        *,
        (greatest(current_share, 0.0001) - greatest(reference_share, 0.0001))
        * ln(greatest(current_share, 0.0001) / greatest(reference_share, 0.0001)) as psi_contribution
    from bucket_shares
),

final as (
    select
        model_version,
        score_bucket,
        min_score,
        max_score,
        reference_snapshots,
        reference_share,
        current_leads,
        current_share,
        psi_contribution,
        sum(psi_contribution) over (partition by model_version) as psi
    from bucket_terms
)

select * from final
