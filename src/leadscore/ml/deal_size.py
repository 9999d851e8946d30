"""Expected deal size of a lead, learned from won opportunity amounts.

A LightGBM regressor on ``log(amount)`` over the same catalog features as the lead
model. The number of boosting rounds comes from 5-fold cross-validation with early
stopping; the out-of-fold residuals give Duan's smearing factor
``mean(exp(residual))``, which turns a predicted log-amount into an expected (mean)
amount rather than a median. With fewer than ``min_wins`` usable wins the model is the
median won amount for every lead; with fewer than ``min_amounts`` (none at all, when the
CRM records no amounts) there is no model: :func:`fit_deal_size_model` raises
:class:`~leadscore.ml.guards.InsufficientDataError` with the reason, and the expected
deal size and value stay null.

The fitted model serializes to JSON (booster text, encoder dict, numbers) with
:func:`serialize_deal_size_model`; no pickle involved.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .candidates import MAX_THREADS, lightgbm_feature_names
from .features import FeatureEncoder, feature_kinds, make_encoder, select_feature_columns
from .frames import sort_by_key, to_float
from .guards import InsufficientDataError

FORMAT = "leadscore.deal_size_model/1"


@dataclass
class DealSizeModel:
    """A fitted deal-size model.

    Attributes
    ----------
    kind : {"lightgbm", "median"}
    features : list of str
    median_amount : float
        Median won amount (the fallback prediction).
    smearing_factor : float
        Multiplier from predicted log-amount to expected amount.
    n_wins : int
        Wins used for fitting.
    encoder : FeatureEncoder, optional
    booster : lightgbm.Booster, optional
    hyperparameters : dict
    """

    kind: str
    features: list
    median_amount: float
    smearing_factor: float
    n_wins: int
    encoder: FeatureEncoder | None = None
    booster: object = None
    hyperparameters: dict | None = None


def fit_deal_size_model(
    won_frame: pd.DataFrame,
    catalog: pd.DataFrame,
    *,
    amount_col: str = "amount",
    min_wins: int = 30,
    min_amounts: int = 10,
    random_state: int = 42,
    n_jobs: int = MAX_THREADS,
) -> DealSizeModel:
    """Fit the deal-size regressor on won leads.

    Parameters
    ----------
    won_frame : pandas.DataFrame
        One row per won lead: its features (as of the snapshot that was scored) and
        ``amount_col``. Rows with a missing or non-positive amount are ignored.
    catalog : pandas.DataFrame
        Feature catalog (protected attributes are excluded as for the lead model).
    amount_col : str
    min_wins : int
        Below this many usable wins, fall back to the median amount.
    min_amounts : int
        Below this many usable wins, no model at all.
    random_state : int
    n_jobs : int
        Threads for LightGBM (capped at 2).

    Returns
    -------
    DealSizeModel

    Raises
    ------
    InsufficientDataError
        With fewer than ``min_amounts`` won leads carrying a positive amount, saying how many there are.
    """
    import lightgbm as lgb

    key = [column for column in ("lead_id", "as_of_date") if column in won_frame.columns]
    ordered = sort_by_key(won_frame, key) if key else won_frame
    amounts = to_float(ordered[amount_col])
    usable = ~np.isnan(amounts) & (amounts > 0)
    ordered, amounts = ordered.loc[usable], amounts[usable]
    if len(amounts) < max(min_amounts, 1):
        raise InsufficientDataError(
            f"{len(amounts)} won leads with a positive opportunity amount (need at least {max(min_amounts, 1)})"
        )
    features = [name for name in select_feature_columns(ordered, catalog) if name != amount_col]
    median_amount = float(np.median(amounts))
    if len(amounts) < min_wins or not features:
        return DealSizeModel("median", features, median_amount, 1.0, int(len(amounts)))

    kinds = feature_kinds(ordered, catalog)
    encoder = make_encoder(features, kinds, "tree", min_category_count=5).fit(ordered)
    X = encoder.transform(ordered)
    target = np.log(amounts)
    params = {
        "objective": "regression",
        "learning_rate": 0.05,
        "num_leaves": 7,
        "min_data_in_leaf": max(5, len(target) // 50),
        "lambda_l2": 1.0,
        "feature_fraction": 0.8,
        "num_threads": min(n_jobs, MAX_THREADS),
        "seed": random_state,
        "deterministic": True,
        "force_col_wise": True,
        "verbose": -1,
    }
    n_folds = min(5, len(target) // 10)
    fold = np.random.default_rng(random_state).permutation(len(target)) % n_folds
    folds = [(np.flatnonzero(fold != f), np.flatnonzero(fold == f)) for f in range(n_folds)]
    dataset = lgb.Dataset(X, label=target, feature_name=lightgbm_feature_names(encoder.feature_names_out_),
                          categorical_feature=encoder.categorical_indices_, free_raw_data=False)
    cv = lgb.cv(params, dataset, num_boost_round=1000, folds=folds, return_cvbooster=True,
                callbacks=[lgb.early_stopping(30, verbose=False)])
    rounds = len(next(iter(value for name, value in cv.items() if name.endswith("-mean"))))
    out_of_fold = np.empty(len(target))
    for (_, held_out), booster in zip(folds, cv["cvbooster"].boosters):
        out_of_fold[held_out] = booster.predict(X[held_out], num_iteration=rounds)
    smearing = float(np.mean(np.exp(target - out_of_fold)))
    booster = lgb.train(params, dataset, num_boost_round=rounds)
    booster = lgb.Booster(model_str=booster.model_to_string())
    return DealSizeModel(
        kind="lightgbm",
        features=features,
        median_amount=median_amount,
        smearing_factor=smearing,
        n_wins=int(len(target)),
        encoder=encoder,
        booster=booster,
        hyperparameters={**{key: params[key] for key in ("learning_rate", "num_leaves", "min_data_in_leaf", "lambda_l2")},
                         "num_boost_round": rounds},
    )


def predict_deal_size(model: DealSizeModel, frame: pd.DataFrame) -> np.ndarray:
    """Expected won amount for each row of ``frame`` (same currency as the training amounts)."""
    if model.kind == "median":
        return np.full(len(frame), model.median_amount)
    return np.exp(model.booster.predict(model.encoder.transform(frame))) * model.smearing_factor


def serialize_deal_size_model(model: DealSizeModel) -> str:
    """The model as one JSON string."""
    payload = {
        "format": FORMAT,
        "kind": model.kind,
        "features": list(model.features),
        "median_amount": model.median_amount,
        "smearing_factor": model.smearing_factor,
        "n_wins": model.n_wins,
        "hyperparameters": model.hyperparameters,
        "encoder": model.encoder.to_dict() if model.encoder is not None else None,
        "booster": model.booster.model_to_string() if model.booster is not None else None,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def deserialize_deal_size_model(text: str) -> DealSizeModel:
    """Rebuild a :class:`DealSizeModel` from :func:`serialize_deal_size_model` output."""
    payload = json.loads(text)
    if payload.get("format") != FORMAT:
        raise ValueError(f"not a serialized deal-size model (format {payload.get('format')!r})")
    booster = None
    if payload["booster"] is not None:
        import lightgbm as lgb

        booster = lgb.Booster(model_str=payload["booster"])
    return DealSizeModel(
        kind=payload["kind"],
        features=list(payload["features"]),
        median_amount=float(payload["median_amount"]),
        smearing_factor=float(payload["smearing_factor"]),
        n_wins=int(payload["n_wins"]),
        encoder=FeatureEncoder.from_dict(payload["encoder"]) if payload["encoder"] is not None else None,
        booster=booster,
        hyperparameters=payload["hyperparameters"],
    )
