"""The benchmark's pure helpers: measuring a process, parsing /proc, splitting the DAG, rendering results.md.

No timing is asserted: the benchmark itself is not part of the test suite (docs/benchmark.md).
"""
from __future__ import annotations

import sys

from leadscore.benchmark.__main__ import slowest_nodes
from leadscore.benchmark.measure import parse_busy_cpu_seconds, parse_loadavg, run_measured
from leadscore.benchmark.report import format_bytes, format_leads, format_seconds, render_markdown, stage_cell
from leadscore.benchmark.stages import DBT_STAGES, stage_arguments

GIB = 1024 ** 3


def test_proc_parsers():
    assert parse_loadavg("0.52 0.61 1.01 1/86 25381\n") == [0.52, 0.61, 1.01]
    assert parse_busy_cpu_seconds("cpu  100 20 30 5000 40 5 5 0 0 0", ticks_per_second=100) == 1.6


def test_run_measured_sees_the_peak_memory_of_the_child(tmp_path):
    allocate = "import numpy; a = numpy.ones(40_000_000); print(a.sum())"  # 320 MB
    measurement = run_measured([sys.executable, "-c", allocate], log_path=tmp_path / "log.txt")
    assert measurement.ok
    assert measurement.peak_rss_bytes >= 300 * 1024 ** 2
    assert (tmp_path / "log.txt").read_text().strip() == "40000000.0"


def test_run_measured_reports_a_failing_command():
    assert run_measured([sys.executable, "-c", "raise SystemExit(3)"]).exit_code == 3


def test_stages_exclude_every_earlier_stage():
    for index, stage in enumerate(DBT_STAGES):
        arguments = stage_arguments(index)
        assert arguments[:3] == ["build", "--indirect-selection", "buildable"]
        excluded = arguments[arguments.index("--exclude") + 1:] if "--exclude" in arguments else []
        for earlier in DBT_STAGES[:index]:
            assert set(earlier.select) <= set(excluded)


def test_formatting():
    assert [format_leads(n) for n in (10_000, 100_000, 1_000_000, 2_500)] == ["10k", "100k", "1M", "2.5k"]
    assert [format_seconds(s) for s in (4.25, 42.3, 754)] == ["4.2 s", "42 s", "12m 34s"]
    assert format_bytes(3.26 * GIB) == "3.3 GB"
    assert stage_cell({"status": "n/a"}) == "n/a"
    assert stage_cell({"wall_seconds": 61, "peak_rss_bytes": GIB, "exit_code": -9, "killed_by": "memory_guard"}) == \
        "stopped by memory guard after 61 s / 1.0 GB"


def test_slowest_nodes():
    results = {"results": [{"unique_id": "model.lead_scoring.a", "execution_time": 1.0, "status": "success"},
                           {"unique_id": "model.lead_scoring.b", "execution_time": 3.0, "status": "success"}]}
    assert [node["node"] for node in slowest_nodes(results)] == ["b", "a"]


def test_render_markdown_of_a_small_run():
    stage = {"wall_seconds": 12.0, "peak_rss_bytes": 2 * GIB, "exit_code": 0, "killed_by": None,
             "loadavg_before": [0.5, 0.5, 0.5], "other_cpu_seconds": 1.0}
    results = {
        "run": {"command": "python -m leadscore.benchmark --leads 500", "machine": {"nproc": 2, "memory_bytes": 24 * GIB}},
        "scales": [{
            "leads": 500,
            "stages": {name: dict(stage) for name in ("generate", "staging", "features", "training", "scoring",
                                                      "build_no_retrain")} | {"monitoring": {"status": "n/a"}},
            "facts": {"lead_snapshots": 10_000, "trainable_snapshots": 6_000, "algorithm": "lightgbm"},
            "reference": {**stage, "status": "ok", "phases": [{"phase": "load", "wall_seconds": 1.0,
                                                               "peak_rss_bytes": GIB}]},
        }],
    }
    markdown = render_markdown(results)
    assert "| feature marts | 12 s / 2.0 GB |" in markdown
    assert "| monitoring | n/a |" in markdown
    assert "| lead snapshots per lead | 20.0 |" in markdown
    assert "| 500 leads | 48 s |" in markdown  # the package's four stages against the reference


def test_an_extra_stage_gets_its_own_row(monkeypatch):
    from leadscore.benchmark import report, stages

    extra = stages.ExtraStage("scoring_sql", "SQL scoring", ("run", "--select", "int_lead_scores_computed_sql"))
    monkeypatch.setattr(stages, "EXTRA_STAGES", (extra,))
    monkeypatch.setattr(report, "EXTRA_STAGES", (extra,))
    stage = {"wall_seconds": 30.0, "peak_rss_bytes": GIB, "exit_code": 0, "killed_by": None,
             "loadavg_before": [1.0, 1.0, 1.0]}
    results = {"run": {"machine": {"nproc": 2}}, "scales": [{"leads": 1000, "stages": {"scoring_sql": stage}}]}
    markdown = render_markdown(results)
    assert "| SQL scoring | 30 s / 1.0 GB |" in markdown
    assert "Not measured: the targets are for a million leads" in markdown


def test_merge_keeps_every_scale_and_the_later_of_a_repeated_one():
    from leadscore.benchmark.report import merge_results

    first = {"run": {"command": "a", "git_commit": "x"}, "scales": [{"leads": 10}, {"leads": 100, "tag": "old"}]}
    second = {"run": {"command": "b", "git_commit": "y"}, "scales": [{"leads": 100, "tag": "new"}, {"leads": 1000}]}
    merged = merge_results([first, second])
    assert [scale["leads"] for scale in merged["scales"]] == [10, 100, 1000]
    assert merged["scales"][1]["tag"] == "new" and merged["scales"][1]["git_commit"] == "y"
    assert merged["scales"][0]["git_commit"] == "x"
    assert merged["run"]["command"] == "a; then b"
