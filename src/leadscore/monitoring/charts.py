"""The report's charts: pure functions from warehouse tables (pandas frames) to plotly figures.

Every function returns a figure even without data (an empty chart that says so), so a report renders on the
first build, before any label has matured.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

BAND_COLORS: dict[str, str] = {"A": "#1a9850", "B": "#91cf60", "C": "#fc8d59", "D": "#d73027"}
#: The scorers of ml_backtest_results, as the backtest chart names and colours them.
SCORER_LABELS: dict[str, str] = {"model": "model", "rule_points": "rule points", "recency": "recency"}
SCORER_COLORS: dict[str, str] = {"model": "#4575b4", "rule_points": "#fdae61", "recency": "#abd9e9"}
LAYOUT = dict(template="plotly_white", height=420, margin=dict(l=60, r=30, t=60, b=50),
              legend=dict(orientation="h", y=-0.2))


def _empty(title: str, why: str) -> go.Figure:
    figure = go.Figure()
    figure.add_annotation(text=why, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return figure.update_layout(title=title, **LAYOUT)


def _section(evaluation: pd.DataFrame, champion: pd.Series, section: str) -> pd.DataFrame:
    """One section of ml_model_evaluation for the live model's own algorithm on test, wide (bucket x metric)."""
    rows = evaluation[(evaluation["model_version"] == champion["model_version"])
                      & (evaluation["section"] == section)
                      & (evaluation["scored_model"] == champion["algorithm"])
                      & (evaluation["split"] == "test")]
    return rows.pivot_table(index="bucket", columns="metric", values="value").sort_index()


def calibration_curve(evaluation: pd.DataFrame, recent: pd.DataFrame, champion: pd.Series | None) -> go.Figure:
    """Observed against predicted conversion rate: the live model's test split and each model's newest weeks."""
    title = "Calibration: observed vs. predicted conversion rate"
    if champion is None:
        return _empty(title, "No trained model yet: scores come from the rule-based points")
    figure = go.Figure()
    test = _section(evaluation, champion, "calibration")
    if not test.empty:
        figure.add_trace(go.Scatter(x=test["mean_probability"], y=test["observed_rate"], mode="lines+markers",
                                    name=f"test split ({champion['model_version']})"))
    for version, bins in recent.groupby("model_version", sort=True):
        period = f"{bins['period_start'].iloc[0]:%Y-%m-%d} to {bins['period_end'].iloc[0]:%Y-%m-%d}"
        figure.add_trace(go.Scatter(x=bins["mean_probability"], y=bins["observed_rate"], mode="lines+markers",
                                    name=f"newest matured weeks {period} ({version})"))
    top = float(np.nanmax([test.get("mean_probability", pd.Series([0.1])).max(),
                           recent["mean_probability"].max() if not recent.empty else 0.1, 0.05]))
    figure.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="perfect calibration",
                                line=dict(dash="dash", color="grey")))
    return figure.update_layout(title=title, xaxis_title="mean predicted probability (bin)",
                                yaxis_title="observed conversion rate", **LAYOUT)


def lift_and_gain(evaluation: pd.DataFrame, champion: pd.Series | None) -> go.Figure:
    """Lift per score decile and the cumulative gain curve on the live model's test split."""
    title = "Lift and cumulative gain by score decile (test split)"
    lift = _section(evaluation, champion, "lift") if champion is not None else pd.DataFrame()
    if lift.empty:
        return _empty(title, "No test-split lift table yet")
    figure = make_subplots(rows=1, cols=2, subplot_titles=("lift per decile", "cumulative gain"))
    deciles = lift.index.astype(int)
    figure.add_trace(go.Bar(x=deciles, y=lift["lift"], name="lift", marker_color="#4575b4"), row=1, col=1)
    share = np.concatenate([[0.0], deciles / deciles.max()])
    figure.add_trace(go.Scatter(x=share, y=np.concatenate([[0.0], lift["capture_rate"]]), mode="lines+markers",
                                name="model"), row=1, col=2)
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="random order",
                                line=dict(dash="dash", color="grey")), row=1, col=2)
    figure.update_xaxes(title_text="decile (1 = best scores)", row=1, col=1)
    figure.update_xaxes(title_text="share of leads contacted", row=1, col=2)
    figure.update_yaxes(title_text="conversion rate / average", row=1, col=1)
    figure.update_yaxes(title_text="share of conversions captured", row=1, col=2)
    return figure.update_layout(title=title, **LAYOUT)


def score_distribution(scores: pd.DataFrame, bands: pd.DataFrame) -> go.Figure:
    """Today's 1-99 scores, stacked by band."""
    title = "Today's score distribution by band"
    if scores.empty:
        return _empty(title, "No lead was scored in this build")
    figure = go.Figure()
    for band in bands.sort_values("min_score", ascending=False)["band"]:
        values = scores.loc[scores["priority_band"] == band, "lead_score"]
        figure.add_trace(go.Histogram(x=values, xbins=dict(start=0.5, end=99.5, size=1), name=f"band {band}",
                                      marker_color=BAND_COLORS.get(band)))
    return figure.update_layout(title=title, barmode="stack", xaxis_title="lead score",
                                yaxis_title="open leads", **LAYOUT)


def feature_importance(importance: pd.DataFrame, champion: pd.Series | None, top_n: int = 20) -> go.Figure:
    """The live model's global importance: mean absolute contribution to the log-odds, top features."""
    title = f"Global feature importance (top {top_n})"
    rows = importance[importance["model_version"] == champion["model_version"]] if champion is not None else importance.iloc[0:0]
    if rows.empty:
        return _empty(title, "No trained model yet")
    rows = rows.sort_values("importance_rank").head(top_n).iloc[::-1]
    figure = go.Figure(go.Bar(x=rows["mean_abs_contribution"], y=rows["feature_name"], orientation="h",
                              marker_color="#4575b4", text=rows["family"], hovertemplate="%{y}: %{x:.3f} (%{text})"))
    return figure.update_layout(title=title, xaxis_title="mean |contribution| to the log-odds",
                                **{**LAYOUT, "height": 560})


def drift_over_time(drift: pd.DataFrame, feature_drift: pd.DataFrame, threshold: float, top_n: int = 8) -> go.Figure:
    """Weekly PSI against the training distribution for the live model's most important features."""
    title = "Feature drift over time: PSI of each week's snapshots against training"
    if drift.empty or feature_drift.empty:
        return _empty(title, "No drift measured yet (needs a trained model)")
    weekly = drift[drift["population"] == "snapshot_week"]
    important = feature_drift[feature_drift["is_important"].astype(bool)].sort_values("importance_rank")["feature_name"]
    if weekly.empty or important.empty:
        return _empty(title, "No drift measured yet (needs a trained model)")
    figure = go.Figure()
    for feature in important.head(top_n):
        series = weekly[weekly["feature_name"] == feature].sort_values("period_date")
        figure.add_trace(go.Scatter(x=series["period_date"], y=series["psi"], mode="lines", name=feature))
    figure.add_hline(y=threshold, line_dash="dash", line_color="red",
                     annotation_text=f"alert threshold {threshold}")
    return figure.update_layout(title=title, xaxis_title="snapshot week", yaxis_title="PSI", **LAYOUT)


def conversion_by_band(performance: pd.DataFrame) -> go.Figure:
    """Week by week conversion rate of each band, one panel per compared model (matured snapshots)."""
    title = "Conversion rate by band, week by week (matured snapshots, backtest)"
    if performance.empty:
        return _empty(title, "No matured snapshot scored yet")
    versions = sorted(performance["model_version"].unique())
    figure = make_subplots(rows=1, cols=len(versions), shared_yaxes=True, subplot_titles=versions)
    for column, version in enumerate(versions, start=1):
        rows = performance[performance["model_version"] == version]
        for band in sorted(rows["priority_band"].unique()):
            series = rows[rows["priority_band"] == band].sort_values("week_start")
            figure.add_trace(go.Scatter(x=series["week_start"], y=series["conversion_rate"], mode="lines",
                                        name=f"band {band}", legendgroup=band, showlegend=column == 1,
                                        line=dict(color=BAND_COLORS.get(band))), row=1, col=column)
    figure.update_yaxes(title_text="conversion rate within the horizon", row=1, col=1)
    return figure.update_layout(title=title, **LAYOUT)


def performance_over_time(weekly: pd.DataFrame) -> go.Figure:
    """Week by week AUC and band A precision of every compared model."""
    title = "AUC and band A precision by week (matured snapshots, backtest)"
    if weekly.empty:
        return _empty(title, "No matured snapshot scored yet")
    figure = make_subplots(rows=1, cols=2, subplot_titles=("AUC-ROC", "band A precision / recall"))
    for version, rows in weekly.groupby("model_version", sort=True):
        rows = rows.sort_values("week_start")
        figure.add_trace(go.Scatter(x=rows["week_start"], y=rows["auc_roc"], mode="lines", name=f"AUC {version}"),
                         row=1, col=1)
        figure.add_trace(go.Scatter(x=rows["week_start"], y=rows["top_band_precision"], mode="lines",
                                    name=f"precision {version}"), row=1, col=2)
        figure.add_trace(go.Scatter(x=rows["week_start"], y=rows["top_band_recall"], mode="lines",
                                    line=dict(dash="dot"), name=f"recall {version}"), row=1, col=2)
    return figure.update_layout(title=title, **LAYOUT)


def backtest_bands(results: pd.DataFrame, bands_seed: pd.DataFrame) -> go.Figure:
    """Precision and recall per band of the model, the rule points and recency on the leads open at the backtest
    cuts (``ml_backtest_results`` of one model version), pooled over the cuts; one row of panels per cohort, the
    bands best first (``score_bands`` seed)."""
    title = ("As-of backtest: precision and recall per band on the leads open at each cut (pooled over cuts)<br>"
             "<sup>the baselines get as many leads per band as the live scorer</sup>")
    bands = results[(results["band"] != "all") & (results["status"] == "evaluated")] if not results.empty else results
    if bands.empty:
        return _empty(title, "No backtest yet (needs a cut date whose horizon has matured)")
    pooled = bands.groupby(["cohort", "scorer", "band"], as_index=False)[["rows", "positives"]].sum()
    best_first = bands_seed.sort_values("min_score", ascending=False)["band"].astype(str).tolist()
    pooled["band_rank"] = pooled["band"].map({band: rank for rank, band in enumerate(best_first)})
    evaluated = results[(results["band"] == "all") & (results["status"] == "evaluated")]
    converted = evaluated.groupby(["cohort", "scorer"], as_index=False)["positives"].sum()
    pooled = pooled.merge(converted.rename(columns={"positives": "converted"}), on=["cohort", "scorer"])
    pooled["precision"] = pooled["positives"] / pooled["rows"].where(pooled["rows"] > 0)
    pooled["recall"] = pooled["positives"] / pooled["converted"].where(pooled["converted"] > 0)
    cohorts = [cohort for cohort in ("all_open", "under_100_days") if cohort in set(pooled["cohort"])]
    figure = make_subplots(rows=len(cohorts), cols=2,
                           subplot_titles=[f"{metric} ({cohort})" for cohort in cohorts
                                           for metric in ("precision", "recall")])
    for row, cohort in enumerate(cohorts, start=1):
        for scorer, label in SCORER_LABELS.items():
            series = pooled[(pooled["cohort"] == cohort) & (pooled["scorer"] == scorer)].sort_values("band_rank")
            for column, metric in enumerate(("precision", "recall"), start=1):
                figure.add_trace(go.Bar(x=series["band"], y=series[metric], name=label, legendgroup=scorer,
                                        marker_color=SCORER_COLORS[scorer], showlegend=row == 1 and column == 1),
                                 row=row, col=column)
    layout = {**LAYOUT, "height": 300 + 260 * len(cohorts), "margin": dict(l=60, r=30, t=100, b=50)}
    return figure.update_layout(title=title, barmode="group", legend_traceorder="grouped", **layout)
