"""Trained bundles, their serialization to one text value, and prediction.

A bundle is everything scoring needs: the feature list, the fitted encoder, the model,
the calibration map and metadata (hyperparameters, training window, metrics, the
reference quantiles of the score mapping). :func:`serialize_model` turns it into one
JSON string that a dbt Python model can store in a registry table;
:func:`deserialize_model` turns it back.

Model payloads
--------------
* LightGBM: the booster's own text format (``Booster.model_to_string``).
* Logistic regression: coefficients and intercept as JSON numbers.
* Random forest (and any other scikit-learn estimator): ``pickle`` + base64. Unpickling
  runs code chosen by whoever wrote the bytes, so the trust boundary is your own
  warehouse: only deserialize models that your own training runs wrote to your own
  registry table. Pickles are also tied to the scikit-learn version (recorded in the
  metadata).

The encoder, the random-forest explanation surrogate and the calibration map are plain
JSON in every case.
"""
from __future__ import annotations

import base64
import hashlib
import json
import pickle
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from .calibration import apply_calibration
from .candidates import LogisticModel, predict_raw as _predict_raw
from .features import FeatureEncoder

FORMAT = "leadscore.lead_model/1"


@dataclass
class ModelBundle:
    """A trained lead model, ready to score.

    Attributes
    ----------
    algorithm : {"logistic", "random_forest", "lightgbm"}
    features : list of str
        Model inputs (catalog names), in encoder order.
    feature_kinds : dict
        ``{feature: "numeric" | "boolean" | "categorical"}``.
    encoder : FeatureEncoder
        Fitted on the training split.
    model : LogisticModel, RandomForestClassifier or lightgbm.Booster
    calibration : dict
        Calibration map (:mod:`leadscore.ml.calibration`).
    metadata : dict
        JSON-serializable facts about the run (hyperparameters, windows, metrics,
        ``reference_quantiles`` for :func:`leadscore.ml.scoring.probability_to_score`).
    explainer : dict, optional
        Random forest only: ``{"encoder": FeatureEncoder, "coef", "intercept", "r2"}``.
    version_id : str
        ``v<yyyymmddHHMMSS>-<8 hex of the content hash>``; set by :func:`finalize_bundle`.
    """

    algorithm: str
    features: list
    feature_kinds: dict
    encoder: FeatureEncoder
    model: Any
    calibration: dict
    metadata: dict = field(default_factory=dict)
    explainer: dict | None = None
    version_id: str = ""


def _model_payload(algorithm: str, model: Any) -> dict:
    if algorithm == "lightgbm":
        return {"kind": "lightgbm", "text": model.model_to_string()}
    if algorithm == "logistic":
        return {"kind": "linear", "coef": np.asarray(model.coef).tolist(), "intercept": float(model.intercept)}
    return {"kind": "pickle", "base64": base64.b64encode(pickle.dumps(model, protocol=5)).decode("ascii")}


def _model_from_payload(payload: dict) -> Any:
    if payload["kind"] == "lightgbm":
        import lightgbm as lgb

        return lgb.Booster(model_str=payload["text"])
    if payload["kind"] == "linear":
        return LogisticModel(coef=np.asarray(payload["coef"], dtype=float), intercept=float(payload["intercept"]))
    if payload["kind"] == "pickle":
        return pickle.loads(base64.b64decode(payload["base64"]))
    raise ValueError(f"unknown model payload kind {payload['kind']!r}")


def _payload(bundle: ModelBundle) -> dict:
    explainer = None
    if bundle.explainer is not None:
        explainer = {key: value for key, value in bundle.explainer.items() if key != "encoder"}
        explainer["encoder"] = bundle.explainer["encoder"].to_dict()
    return {
        "format": FORMAT,
        "algorithm": bundle.algorithm,
        "features": list(bundle.features),
        "feature_kinds": dict(bundle.feature_kinds),
        "encoder": bundle.encoder.to_dict(),
        "model": _model_payload(bundle.algorithm, bundle.model),
        "calibration": bundle.calibration,
        "metadata": bundle.metadata,
        "explainer": explainer,
    }


def _dumps(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)


def make_version_id(content: str, trained_at: datetime) -> str:
    """``v<yyyymmddHHMMSS>-<first 8 hex digits of sha256(content)>``."""
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:8]
    return f"v{trained_at.strftime('%Y%m%d%H%M%S')}-{digest}"


def finalize_bundle(bundle: ModelBundle, trained_at: datetime | None = None) -> ModelBundle:
    """Stamp ``trained_at`` into the metadata and set the content-derived ``version_id``.

    Parameters
    ----------
    bundle : ModelBundle
    trained_at : datetime, optional
        Defaults to now (UTC). Pass it explicitly for reproducible version ids.

    Returns
    -------
    ModelBundle
        A new bundle; the input is left unchanged.
    """
    trained_at = trained_at or datetime.now(timezone.utc)
    stamped = replace(bundle, metadata={**bundle.metadata, "trained_at": trained_at.isoformat()}, version_id="")
    return replace(stamped, version_id=make_version_id(_dumps(_payload(stamped)), trained_at))


def serialize_model(bundle: ModelBundle) -> str:
    """One JSON string holding the whole bundle (see the module docstring for the payloads).

    Security: random-forest models are pickled; only deserialize strings from your
    own registry.
    """
    payload = _payload(bundle)
    payload["version_id"] = bundle.version_id
    return _dumps(payload)


def deserialize_model(text: str) -> ModelBundle:
    """Rebuild a bundle from :func:`serialize_model` output.

    Security: this unpickles random-forest models; the string must come from a
    trusted source (your own warehouse's registry table).
    """
    payload = json.loads(text)
    if payload.get("format") != FORMAT:
        raise ValueError(f"not a serialized lead model (format {payload.get('format')!r}, expected {FORMAT!r})")
    explainer = payload.get("explainer")
    if explainer is not None:
        explainer = {**explainer, "encoder": FeatureEncoder.from_dict(explainer["encoder"])}
    return ModelBundle(
        algorithm=payload["algorithm"],
        features=list(payload["features"]),
        feature_kinds=dict(payload["feature_kinds"]),
        encoder=FeatureEncoder.from_dict(payload["encoder"]),
        model=_model_from_payload(payload["model"]),
        calibration=payload["calibration"],
        metadata=payload["metadata"],
        explainer=explainer,
        version_id=payload.get("version_id", ""),
    )


def predict_raw(bundle: ModelBundle, frame: pd.DataFrame) -> np.ndarray:
    """Uncalibrated model scores for ``frame`` (rows holding the bundle's features)."""
    return _predict_raw(bundle.algorithm, bundle.model, bundle.encoder.transform(frame))


def predict_proba(bundle: ModelBundle, frame: pd.DataFrame) -> np.ndarray:
    """Calibrated probabilities of conversion within the horizon, one per row of ``frame``."""
    return apply_calibration(bundle.calibration, predict_raw(bundle, frame))
