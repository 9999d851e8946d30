"""The monitoring report: one HTML page, rendered from the warehouse tables with plotly.

``python -m leadscore.monitoring.report --db data/lead_scoring.duckdb --out data/monitoring_report.html``

:func:`load_tables` is the only function that reads the warehouse; :func:`render_report` turns the frames into
HTML (plotly.js inlined, so the page works offline).
"""
from __future__ import annotations

import argparse
import html
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from . import charts

#: Warehouse tables the report reads, by short name: (schema kind, table).
REPORT_TABLES: dict[str, tuple[str, str]] = {
    "champion": ("models", "ml_champion_model"),
    "evaluation": ("models", "ml_model_evaluation"),
    "importance": ("models", "ml_feature_importance"),
    "scores": ("models", "lead_scores"),
    "alerts": ("models", "ml_monitoring_alerts"),
    "feature_drift": ("models", "ml_feature_drift"),
    "drift_over_time": ("models", "ml_feature_drift_over_time"),
    "performance_by_band": ("models", "ml_performance_by_band"),
    "performance_by_week": ("models", "ml_performance_by_week"),
    "recent_performance": ("models", "ml_recent_performance"),
    "recent_calibration": ("models", "ml_recent_calibration"),
    "fairness": ("models", "ml_fairness_by_segment"),
    "exploration": ("models", "ml_exploration_estimate"),
    "feedback": ("models", "ml_feedback_by_band"),
    "backtest": ("models", "ml_backtest_results"),
    "bands": ("seeds", "score_bands"),
}

#: The div ids of the charts, in page order.
CHART_IDS: tuple[str, ...] = (
    "chart-calibration", "chart-lift-gain", "chart-score-distribution", "chart-feature-importance",
    "chart-drift-over-time", "chart-conversion-by-band", "chart-performance-over-time", "chart-backtest-bands",
)


def load_tables(db_path: str | Path, schema: str = "analytics", seed_schema: str | None = None) -> dict[str, pd.DataFrame]:
    """Read every report table from a DuckDB warehouse (read-only); a missing table gives an empty frame."""
    schemas = {"models": schema, "seeds": seed_schema or f"{schema}_reference"}
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = {}
        for name, (kind, table) in REPORT_TABLES.items():
            try:
                tables[name] = connection.sql(f'select * from "{schemas[kind]}"."{table}"').df()
            except duckdb.Error:  # not built yet (e.g. monitoring models excluded from the run)
                tables[name] = pd.DataFrame()
        return tables
    finally:
        connection.close()


def _live_model(champion: pd.DataFrame) -> pd.Series | None:
    if champion.empty or "scoring_method" not in champion or (champion["scoring_method"] != "model").all():
        return None
    return champion[champion["scoring_method"] == "model"].iloc[0]


def _frame(tables: dict[str, pd.DataFrame], name: str, columns: Sequence[str]) -> pd.DataFrame:
    """A table, or an empty frame with the columns a chart needs."""
    frame = tables.get(name, pd.DataFrame())
    return frame if not frame.empty else pd.DataFrame({column: [] for column in columns})


def champion_backtest(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The live champion's rows of ml_backtest_results (the model or the rule fallback), or an empty frame."""
    results, champion = tables.get("backtest", pd.DataFrame()), tables.get("champion", pd.DataFrame())
    if results.empty or champion.empty:
        return pd.DataFrame()
    return results[results["model_version"] == champion["model_version"].iloc[0]]


def backtest_table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per cut and cohort: rows, conversions, and AUC and ECE of the model beside the rule points and
    recency (a model that was not trained at a cut shows its status instead)."""
    if results.empty:
        return pd.DataFrame()
    overall = results[results["band"] == "all"]
    keys = ["cut_date", "cohort"]
    table = overall.groupby(keys, as_index=False, sort=True).agg(leads=("rows", "max"), converted=("positives", "max"))
    for scorer in ("model", "rule_points", "recency"):
        rows = overall[overall["scorer"] == scorer].set_index(keys)
        index = table.set_index(keys).index
        table[f"{scorer}_auc"] = rows["auc_roc"].reindex(index).to_numpy()
        table[f"{scorer}_ece"] = rows["ece"].reindex(index).to_numpy()
    model = overall[overall["scorer"] == "model"].set_index(keys)["status"]
    table["model_status"] = model.reindex(table.set_index(keys).index).to_numpy()
    table["cut_date"] = pd.to_datetime(table["cut_date"]).dt.strftime("%Y-%m-%d")
    return table


def build_figures(tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    """Every chart of the report, keyed by its div id."""
    champion = _live_model(tables.get("champion", pd.DataFrame()))
    alerts = tables.get("alerts", pd.DataFrame())
    psi_rows = alerts[alerts["check_name"] == "feature_psi"] if not alerts.empty else alerts
    threshold = float(psi_rows["threshold"].iloc[0]) if not psi_rows.empty else 0.25
    evaluation = _frame(tables, "evaluation", ["model_version", "section", "scored_model", "split", "bucket",
                                               "metric", "value"])
    bands = _frame(tables, "bands", ["band", "min_score"])
    return {
        "chart-calibration": charts.calibration_curve(
            evaluation, _frame(tables, "recent_calibration", ["model_version", "mean_probability", "observed_rate",
                                                              "period_start", "period_end"]), champion),
        "chart-lift-gain": charts.lift_and_gain(evaluation, champion),
        "chart-score-distribution": charts.score_distribution(
            _frame(tables, "scores", ["lead_score", "priority_band"]), bands),
        "chart-feature-importance": charts.feature_importance(
            _frame(tables, "importance", ["model_version", "feature_name", "importance_rank", "family",
                                          "mean_abs_contribution"]), champion),
        "chart-drift-over-time": charts.drift_over_time(
            _frame(tables, "drift_over_time", ["population", "feature_name", "period_date", "psi"]),
            _frame(tables, "feature_drift", ["feature_name", "is_important", "importance_rank"]), threshold),
        "chart-conversion-by-band": charts.conversion_by_band(
            _frame(tables, "performance_by_band", ["model_version", "week_start", "priority_band",
                                                   "conversion_rate"])),
        "chart-performance-over-time": charts.performance_over_time(
            _frame(tables, "performance_by_week", ["model_version", "week_start", "auc_roc", "top_band_precision",
                                                   "top_band_recall"])),
        "chart-backtest-bands": charts.backtest_bands(champion_backtest(tables), bands),
    }


def _table_html(frame: pd.DataFrame, columns: Sequence[str], empty: str) -> str:
    if frame.empty:
        return f"<p class='empty'>{html.escape(empty)}</p>"
    shown = frame[[column for column in columns if column in frame.columns]]
    return shown.to_html(index=False, classes="data", float_format=lambda value: f"{value:.4g}", na_rep="",
                         border=0)


def render_report(tables: dict[str, pd.DataFrame]) -> str:
    """The report page: summary, alerts, the charts and the fairness, exploration and feedback tables."""
    champion = _live_model(tables.get("champion", pd.DataFrame()))
    alerts = tables.get("alerts", pd.DataFrame())
    scoring_date = alerts["scoring_as_of_date"].iloc[0] if not alerts.empty else None
    summary = ("No trained model: scores come from the rule-based points." if champion is None else
               f"Live model <b>{html.escape(str(champion['model_version']))}</b> ({html.escape(str(champion['algorithm']))}), "
               f"trained {champion['trained_at']:%Y-%m-%d} because: {html.escape(str(champion['retrain_reason']))}; "
               f"test AUC {champion['test_auc_roc']:.3f}, test ECE {champion['test_ece']:.4f}.")
    recent = tables.get("recent_performance", pd.DataFrame())
    breached = int(alerts["is_breached"].sum()) if not alerts.empty else 0
    figures = build_figures(tables)
    chart_divs = "\n".join(
        f"<section class='chart'>{pio.to_html(figure, full_html=False, include_plotlyjs=False, div_id=chart_id, config={'displaylogo': False})}</section>"
        for chart_id, figure in figures.items()
    )
    alert_rows = alerts.assign(status=alerts["is_breached"].map({True: "BREACHED", False: "ok"})) if not alerts.empty else alerts
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Lead scoring monitoring</title>
<script type="text/javascript">{get_plotlyjs()}</script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; }}
h1 {{ margin-bottom: 4px; }} .summary {{ color: #444; }}
table.data {{ border-collapse: collapse; font-size: 13px; margin: 8px 0 24px; }}
table.data th, table.data td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }}
table.data th {{ background: #f4f4f4; }} section.chart {{ margin: 12px 0 28px; }} .empty {{ color: #888; }}
</style></head>
<body>
<h1>Lead scoring monitoring</h1>
<p class="summary">Scoring date {html.escape(str(scoring_date)[:10])}. {summary} {breached} of {len(alerts)} checks breached.</p>
<h2>Alerts</h2>
{_table_html(alert_rows, ["check_name", "status", "observed_value", "threshold", "triggers_retrain", "detail"], "No alerts table yet.")}
<h2>As-of backtest: the leads open at each cut, scored by a model trained before it</h2>
<p class="summary">At each of the newest matured cut dates, a model of the champion's algorithm trained only on
outcomes known before the cut scores every lead open then; the rule points and recency (most recent engagement
first) rank the same leads. AUC ranks, ECE measures calibration on those leads.</p>
{_table_html(backtest_table(champion_backtest(tables)), ["cut_date", "cohort", "leads", "converted", "model_auc", "rule_points_auc", "recency_auc", "model_ece", "rule_points_ece", "recency_ece", "model_status"], "No backtest yet: it needs a trained or fallback champion and a cut date whose horizon has matured.")}
<h2>Performance on the newest matured weeks</h2>
{_table_html(recent, ["model_version", "period_start", "period_end", "snapshots", "conversion_rate", "mean_probability", "auc_roc", "expected_calibration_error", "top_band_precision", "top_band_recall"], "No matured snapshot scored yet.")}
<h2>Charts</h2>
{chart_divs}
<h2>Fairness: calibration and band rates by segment</h2>
{_table_html(tables.get("fairness", pd.DataFrame()), ["segment_type", "segment", "snapshots", "observed_rate", "mean_probability", "observed_to_expected", "top_band_share", "top_band_conversion_rate", "is_judged", "is_divergent"], "No matured snapshot scored yet.")}
<h2>Exploration: true conversion of the low bands</h2>
{_table_html(tables.get("exploration", pd.DataFrame()), ["priority_band", "naive_worked_rate", "explored_snapshots", "coverage", "explored_rate", "explored_rate_low", "explored_rate_high", "lower_bound_rate", "explored_mean_probability", "is_unbiased"], "No explored snapshot has matured yet.")}
<h2>Sales feedback by band</h2>
{_table_html(tables.get("feedback", pd.DataFrame()), ["model_version", "priority_band", "feedback_count", "too_high_rate", "too_low_rate", "correct_rate"], "No scored feedback yet.")}
</body></html>
"""


def main(argv: Sequence[str] | None = None) -> Path:
    """Command line: read the warehouse, write the page, print where."""
    parser = argparse.ArgumentParser(prog="python -m leadscore.monitoring.report",
                                     description="Render the monitoring report from a built warehouse.")
    parser.add_argument("--db", required=True, type=Path, help="DuckDB warehouse file")
    parser.add_argument("--out", type=Path, default=Path("data/monitoring_report.html"), help="HTML file to write")
    parser.add_argument("--schema", default="analytics", help="schema of the dbt models (default %(default)s)")
    args = parser.parse_args(argv)
    if not args.db.exists():
        parser.error(f"no warehouse at {args.db}: run dbt build first")
    page = render_report(load_tables(args.db, args.schema))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    print(f"monitoring report written to {args.out}")
    return args.out


if __name__ == "__main__":
    main()
