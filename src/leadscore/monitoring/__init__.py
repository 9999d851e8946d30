"""Monitoring the live model inside the warehouse: backtest scores, performance tables, the drift retrain trigger
and the HTML report.

Everything except :mod:`leadscore.monitoring.report` (which reads a DuckDB file and writes HTML) and
:mod:`leadscore.monitoring.relations` (which reads warehouse relations for the dbt Python models) is a pure
function of pandas frames.
"""
from .performance import (
    PERFORMANCE_SCHEMA,
    calibration_bins,
    performance_table,
    recent_calibration,
    recent_performance,
    weekly_performance,
)
from .psi import population_stability_index
from .retrain import drift_retrain_reason
from .snapshots import (
    SNAPSHOT_SCORE_SCHEMA,
    BacktestModel,
    backtest_models,
    backtest_scores,
    score_snapshots,
    week_windows,
)

__all__ = [
    "PERFORMANCE_SCHEMA", "SNAPSHOT_SCORE_SCHEMA", "BacktestModel", "backtest_models", "backtest_scores",
    "calibration_bins",
    "drift_retrain_reason", "performance_table", "population_stability_index", "recent_calibration",
    "recent_performance", "score_snapshots", "week_windows", "weekly_performance",
]
