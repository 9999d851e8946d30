{#-
    The live model: the newest trained registry row that was promoted. With none (too little labeled history),
    the newest registry row, marked so scoring falls back to the rule-based points.
-#}

with

registry as (
    select * from {{ ref('ml_model_registry') }}
),

promoted as (
    select
        *,
        row_number() over (order by trained_at desc, model_version desc) as recency_rank
    from registry
    where
        status = 'trained'
        and is_promoted
),

latest_attempt as (
    select
        *,
        row_number() over (order by trained_at desc, model_version desc) as recency_rank
    from registry
),

live_model as (
    select
        *,
        'model' as scoring_method
    from promoted
    where recency_rank = 1
),

fallback as (
    select
        *,
        'rule_based_fallback' as scoring_method
    from latest_attempt
    where
        recency_rank = 1
        and not exists (select 1 from promoted)
),

final as (
    select * from live_model
    union all
    select * from fallback
)

select
    model_version,
    trained_at,
    status,
    scoring_method,
    algorithm,
    promotion_reason,
    retrain_reason,
    calibration_method,
    test_start_date,
    test_end_date,
    test_auc_roc,
    test_log_loss,
    test_brier,
    test_ece,
    rule_points_test_auc_roc,
    limitations,
    fallback_calibration_json,
    model_json,
    deal_size_model_json
from final
