"""The drift trigger: when the previous build's monitoring asks the next build to retrain."""
from __future__ import annotations

import pandas as pd


def drift_retrain_reason(
    alerts: pd.DataFrame | None,
    champion_version: str | None,
    last_training_history: tuple[int, int] | None,
    history: tuple[int, int],
) -> str | None:
    """Why drift calls for a retrain, or None.

    A retrain is due when a check that triggers retraining is breached for the live champion, and labels have
    matured since the newest training run (otherwise it would refit the very same data, and a persistent shift,
    such as a CRM that keeps growing, would retrain on every build).

    Parameters
    ----------
    alerts : pandas.DataFrame or None
        The previous build's ``ml_monitoring_alerts`` (``check_name``, ``model_version``, ``is_breached``,
        ``triggers_retrain``, ``detail``); None before the first build that created it.
    champion_version : str or None
        The live model's version.
    last_training_history : tuple of int or None
        ``(labeled_leads, labeled_positives)`` the newest registry row was trained on.
    history : tuple of int
        The same counts for the data of this build.

    Returns
    -------
    str or None
        ``"drift: <check>: <detail>; ..."`` (recorded as the registry row's ``retrain_reason``).
    """
    if alerts is None or alerts.empty or champion_version is None:
        return None
    if last_training_history is not None and tuple(last_training_history) == tuple(history):
        return None
    breached = alerts[
        alerts["is_breached"].fillna(False).astype(bool).to_numpy()
        & alerts["triggers_retrain"].fillna(False).astype(bool).to_numpy()
        & (alerts["model_version"].astype(str) == str(champion_version)).to_numpy()
    ].sort_values("check_name", kind="mergesort")
    if breached.empty:
        return None
    return "drift: " + "; ".join(f"{row.check_name}: {row.detail}" for row in breached.itertuples())
