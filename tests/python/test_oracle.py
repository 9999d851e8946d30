"""The oracle comparison and the feature-ceiling measurement on small worlds whose truth is known."""
import numpy as np
import pandas as pd
from scipy.special import expit

from leadscore.ml import auc_roc
from leadscore.oracle import feature_ceiling, oracle_comparison


def make_world(hidden_weight: float, n_leads: int = 1500, seed: int = 3) -> pd.DataFrame:
    """Four snapshots per lead; the true probability depends on a recorded column and on a hidden one."""
    rng = np.random.default_rng(seed)
    lead = np.repeat(np.arange(n_leads), 4)
    recorded = rng.normal(size=n_leads)[lead] + rng.normal(scale=0.3, size=len(lead))
    hidden = rng.normal(size=n_leads)[lead]
    truth = expit(-3.0 + 1.2 * recorded + hidden_weight * hidden)
    return pd.DataFrame({
        "lead_id": [f"L{i:05d}" for i in lead],
        "as_of_date": pd.Timestamp("2026-01-05") + pd.to_timedelta(np.tile(np.arange(4) * 7, n_leads), unit="D"),
        "label": (rng.random(len(lead)) < truth).astype(int),
        "pricing_page_views_30d": recorded,
        "true_probability": truth,
    })


CATALOG = pd.DataFrame({"feature_name": ["pricing_page_views_30d"], "family": ["behavioral"],
                        "data_type": ["numeric"], "is_protected": [False]})


def test_the_ceiling_reaches_the_oracle_when_every_driver_is_recorded():
    world = make_world(hidden_weight=0.0)
    oracle = auc_roc(world["label"].to_numpy(), world["true_probability"].to_numpy())
    ceiling = feature_ceiling(world, CATALOG)
    assert abs(ceiling["truth_fit_auc"] - oracle) < 0.01
    assert ceiling["within_period_auc"] > oracle - 0.04  # labels are noisier than the truth, but carry the same signal


def test_the_ceiling_stays_below_the_oracle_by_what_no_record_holds():
    world = make_world(hidden_weight=1.5)
    oracle = auc_roc(world["label"].to_numpy(), world["true_probability"].to_numpy())
    ceiling = feature_ceiling(world, CATALOG)
    assert ceiling["truth_fit_auc"] < oracle - 0.05
    assert ceiling["truth_fit_auc"] > 0.6  # the recorded column still ranks


def test_oracle_comparison_scores_model_and_truth_on_the_same_rows():
    world = make_world(hidden_weight=0.0, n_leads=300)
    predictions = world[["lead_id", "as_of_date", "label"]].assign(probability=world["true_probability"] * 0.5)
    truth = world[["lead_id", "as_of_date", "true_probability"]].iloc[::2]  # truth for half the rows only
    result = oracle_comparison(predictions, truth)
    assert result["rows"] == len(world) and result["rows_with_truth"] == len(truth)
    assert abs(result["gap_to_oracle"]) < 1e-12  # a monotone transform of the truth ranks exactly like it
    assert result["model_ece"] > 0.01  # halved probabilities are miscalibrated
