"""Render benchmark results (the ``results.json`` structure) as the markdown tables of ``results.md``."""
from __future__ import annotations

from leadscore.benchmark.stages import DBT_STAGES, EXTRA_STAGES, stage_label

GIB = 1024 ** 3

STAGE_LABELS = {
    "generate": "data generation",
    "staging": "staging",
    "features": "feature marts",
    "training": "training",
    "scoring": "scoring with top factors",
    "monitoring": "monitoring",
    "build_no_retrain": "full `dbt build`, champion reused (no retrain)",
}
PIPELINE_STAGES = ("staging", "features", "training", "scoring", "monitoring")

#: The targets of issue 7: (stage, wall seconds, peak bytes) at a million leads.
TARGETS = (
    ("build_no_retrain", 600, 8 * GIB, "1M-lead build (no retrain) under 10 minutes and 8 GB"),
    ("training", 600, None, "training at 1M leads under 10 minutes"),
    ("scoring", 120, None, "scoring with top factors for 1M leads under 2 minutes"),
)


def format_leads(leads: int) -> str:
    """``10000`` -> ``'10k'``, ``1000000`` -> ``'1M'``, ``2500`` -> ``'2.5k'``."""
    if leads >= 1_000_000 and leads % 100_000 == 0:
        return f"{leads / 1_000_000:g}M"
    if leads >= 1000 and leads % 100 == 0:
        return f"{leads / 1000:g}k"
    return f"{leads:,}"


def format_seconds(seconds: float | None) -> str:
    """``42.3`` -> ``'42 s'``, ``754`` -> ``'12m 34s'``."""
    if seconds is None:
        return "n/a"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 600:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}m {rest:02d}s"


def format_bytes(size: float | None) -> str:
    """Bytes as GB with one decimal (two below 1 GB)."""
    if size is None:
        return "n/a"
    gigabytes = size / GIB
    return f"{gigabytes:.2f} GB" if gigabytes < 1 else f"{gigabytes:.1f} GB"


def stage_cell(stage: dict | None) -> str:
    """``'42 s / 1.3 GB'``, ``'n/a'`` for a stage that selected nothing, or the failure."""
    if not stage or stage.get("status") == "n/a":
        return "n/a"
    cell = f"{format_seconds(stage['wall_seconds'])} / {format_bytes(stage['peak_rss_bytes'])}"
    if stage.get("killed_by"):
        return f"stopped by {stage['killed_by'].replace('_', ' ')} after {cell}"
    if stage.get("exit_code", 0) != 0:
        return f"failed (exit {stage['exit_code']}) after {cell}"
    return cell


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _number(value) -> str:
    return "n/a" if value is None else f"{value:,}"


def render_markdown(results: dict) -> str:
    """The whole ``results.md``: stage table, counts, reference comparison, targets, machine and load."""
    scales = results.get("scales", [])
    run = results.get("run", {})
    machine = run.get("machine", {})
    names = [format_leads(scale["leads"]) + " leads" for scale in scales]
    lines = ["# Benchmark results", ""]
    lines.append(
        f"{'Consecutive runs' if len(run.get('parts', [])) > 1 else 'One run'} of "
        f"`{run.get('command', 'python -m leadscore.benchmark')}` started {run.get('started_at', '?')} "
        f"on {machine.get('nproc', '?')} cores and {format_bytes(machine.get('memory_bytes'))} of memory "
        f"({machine.get('cpu_model', '')}), commit `{run.get('git_commit')}`. "
        "Each cell: wall time / peak resident memory of the stage's process tree. Every stage runs in a fresh "
        "process (`dbt build --select ...`, `OMP_WAIT_POLICY=passive`)."
    )
    lines.append("")
    lines.append("Scales: " + "; ".join(
        f"{name} started {scale.get('started_at', '?')} at commit `{scale.get('git_commit', '?')}`"
        for scale, name in zip(scales, names)) + ".")
    lines.append("")
    rows = []
    def stage_row(stage: str) -> list[str]:
        return [STAGE_LABELS.get(stage) or stage_label(stage),
                *[stage_cell(scale.get("stages", {}).get(stage)) for scale in scales]]

    partition = [stage.name for stage in DBT_STAGES]
    measured_anywhere = {name for scale in scales for name, stage in scale.get("stages", {}).items()
                         if "wall_seconds" in stage}
    for stage in ("generate", *PIPELINE_STAGES, *[name for name in partition if name not in PIPELINE_STAGES]):
        if stage in PIPELINE_STAGES or stage == "generate" or stage in measured_anywhere:
            rows.append(stage_row(stage))
    rows.append(["**sum of the pipeline stages**",
                 *[_stage_sum(scale) for scale in scales]])
    rows.append(stage_row("build_no_retrain"))
    rows += [stage_row(stage.name) for stage in EXTRA_STAGES if stage.name in measured_anywhere]
    lines += _table(["stage", *names], rows)
    lines += ["", "## What the stages processed", ""]
    count_rows = []
    for key, label in (
        ("raw_rows_total", "raw rows"),
        ("raw_rows_per_lead", "raw rows per lead"),
        ("lead_snapshots", "lead snapshots (rows of lead_features)"),
        ("trainable_snapshots", "trainable snapshots (matured, worked)"),
        ("train_rows", "training split rows"),
        ("sampled_training_snapshots", "trainable snapshots sampled for training (var max_training_snapshots)"),
        ("validation_rows", "validation rows"),
        ("test_rows", "test rows"),
        ("scoring_rows", "open leads scored"),
        ("algorithm", "champion"),
        ("test_auc_roc", "champion test AUC"),
        ("oracle_auc", "true-probability (oracle) AUC on the same rows"),
    ):
        values = []
        for scale in scales:
            facts = scale.get("facts", {})
            value = facts.get(key)
            if key == "oracle_auc":
                value = (facts.get("oracle") or {}).get("oracle_auc")
            values.append(_fact(value))
        count_rows.append([label, *values])
    per_lead = []
    for scale in scales:
        facts = scale.get("facts", {})
        per_lead.append(_fact(round(facts["lead_snapshots"] / scale["leads"], 1)) if facts.get("lead_snapshots")
                        else "n/a")
    count_rows.insert(3, ["lead snapshots per lead", *per_lead])
    lines += _table(["", *names], count_rows)
    lines += ["", "## Against the pandas reference", ""]
    lines += _reference_section(scales, names)
    lines += ["", "## Targets (2 cores, 24 GB)", ""]
    lines += _targets_section(scales)
    lines += ["", "## Machine load during the run", ""]
    lines.append(
        "`load before` is the 1-minute load average just before the stage started; `other CPU` is the CPU time the "
        "machine spent on anything else while the stage ran (from /proc/stat), as a share of the stage's "
        f"{machine.get('nproc', '?')} cores x wall time."
    )
    lines.append("")
    load_rows = []
    for scale, name in zip(scales, names):
        for stage_name, stage in scale.get("stages", {}).items():
            if "wall_seconds" not in stage:
                continue
            capacity = max(stage["wall_seconds"] * (machine.get("nproc") or 1), 1e-9)
            load_rows.append([name, STAGE_LABELS.get(stage_name) or stage_label(stage_name),
                              f"{stage['loadavg_before'][0]:.2f}",
                              f"{stage.get('other_cpu_seconds', 0):.0f} s ({stage.get('other_cpu_seconds', 0) / capacity:.0%})"])
        reference = scale.get("reference")
        if reference and "wall_seconds" in reference:
            capacity = max(reference["wall_seconds"] * (machine.get("nproc") or 1), 1e-9)
            load_rows.append([name, "pandas reference", f"{reference['loadavg_before'][0]:.2f}",
                              f"{reference.get('other_cpu_seconds', 0):.0f} s "
                              f"({reference.get('other_cpu_seconds', 0) / capacity:.0%})"])
    lines += _table(["scale", "stage", "load before", "other CPU"], load_rows)
    lines.append("")
    return "\n".join(lines)


def _fact(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _stage_sum(scale: dict) -> str:
    stages = [scale.get("stages", {}).get(stage.name) for stage in DBT_STAGES]
    measured = [stage for stage in stages if stage and "wall_seconds" in stage]
    if not measured:
        return "n/a"
    return (f"{format_seconds(sum(stage['wall_seconds'] for stage in measured))} / "
            f"{format_bytes(max(stage['peak_rss_bytes'] for stage in measured))} (max)")


def _reference_section(scales: list[dict], names: list[str]) -> list[str]:
    rows = []
    for scale, name in zip(scales, names):
        reference = scale.get("reference")
        if not reference:
            continue
        package = scale.get("stages", {})
        package_total = sum(package[stage]["wall_seconds"] for stage in ("staging", "features", "training", "scoring")
                            if stage in package and "wall_seconds" in package[stage])
        phases = {phase["phase"]: phase for phase in reference.get("phases", [])}
        if reference.get("status") == "ok":
            outcome = f"{format_seconds(reference['wall_seconds'])} / {format_bytes(reference['peak_rss_bytes'])}"
            ratio = f"{reference['wall_seconds'] / package_total:.2f}x" if package_total else "n/a"
        else:
            last = reference.get("phases", [])[-1]["phase"] if reference.get("phases") else "start"
            reason = (reference.get("killed_by") or f"exit {reference.get('exit_code')}").replace("_", " ")
            outcome = (f"failed ({reason}) during the phase after `{last}`, at "
                       f"{format_seconds(reference['wall_seconds'])} / {format_bytes(reference['peak_rss_bytes'])}")
            ratio = "n/a"
        phase_text = ", ".join(
            f"{phase}: {format_seconds(entry['wall_seconds'])} / {format_bytes(entry['peak_rss_bytes'])}"
            for phase, entry in phases.items()
        )
        reference_auc = (reference.get("result") or {}).get("test_auc")
        package_auc = scale.get("facts", {}).get("test_auc_roc")
        auc = f"{_fact(reference_auc)} / {_fact(package_auc)}"
        rows.append([name, f"{format_seconds(package_total)}", outcome, ratio, auc, phase_text or "n/a"])
    if not rows:
        return ["No reference run."]
    return _table(["scale", "package: staging to scoring", "pandas reference", "reference / package",
                   "test AUC: reference / package", "reference phases (wall / peak)"], rows)


def _targets_section(scales: list[dict]) -> list[str]:
    largest = max(scales, key=lambda scale: scale["leads"], default=None)
    if largest is None:
        return ["No scale was run."]
    if largest["leads"] < 1_000_000:
        return [f"Not measured: the targets are for a million leads and the largest scale run was "
                f"{format_leads(largest['leads'])} leads."]
    rows = []
    for stage_name, seconds, peak, text in TARGETS:
        stage = largest.get("stages", {}).get(stage_name)
        if not stage or "wall_seconds" not in stage:
            rows.append([text, "n/a", "not measured"])
            continue
        met = stage.get("exit_code") == 0 and stage["wall_seconds"] <= seconds and (
            peak is None or stage["peak_rss_bytes"] <= peak)
        rows.append([text, stage_cell(stage), "met" if met else "missed"])
    return [f"At {format_leads(largest['leads'])} leads:", "", *_table(["target", "measured", ""], rows)]


def merge_results(parts: list[dict]) -> dict:
    """Several ``results.json`` structures as one: the scales of all (a later part's scale replaces an earlier one
    of the same size), the first part's run facts, and each part's command and start in ``run.parts``."""
    merged = {"run": dict(parts[0].get("run", {})), "scales": []}
    merged["run"]["parts"] = [{key: part.get("run", {}).get(key) for key in
                               ("command", "started_at", "finished_at", "git_commit", "loadavg_at_start")}
                              for part in parts]
    merged["run"]["command"] = "; then ".join(part.get("run", {}).get("command", "?") for part in parts)
    by_leads: dict[int, dict] = {}
    for part in parts:
        for scale in part.get("scales", []):
            by_leads[scale["leads"]] = {"git_commit": part.get("run", {}).get("git_commit"),
                                        "started_at": part.get("run", {}).get("started_at"), **scale}
    merged["scales"] = [by_leads[leads] for leads in sorted(by_leads)]
    return merged


def main(argv: list[str] | None = None) -> None:
    """``python -m leadscore.benchmark.report A.json [B.json ...] --out benchmarks``: merge runs, write both files."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m leadscore.benchmark.report", description=main.__doc__)
    parser.add_argument("results", type=Path, nargs="+", help="results.json files, earliest first")
    parser.add_argument("--out", type=Path, required=True, help="folder for results.json and results.md")
    args = parser.parse_args(argv)
    merged = merge_results([json.loads(path.read_text()) for path in args.results])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(merged, indent=2) + "\n")
    (args.out / "results.md").write_text(render_markdown(merged))


if __name__ == "__main__":
    main()
