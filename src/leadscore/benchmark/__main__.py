"""Command line: ``python -m leadscore.benchmark --leads 10000 100000 1000000``.

Per scale, in a work folder (default ``/tmp/bench``): generate the raw data, run every stage of the dbt project in
a fresh ``dbt build`` process, then a full ``dbt build`` that finds a fresh champion (the nightly build without
retraining), count the training rows, and run the pandas reference on a copy of the raw data. Results go to
``benchmarks/results.json`` and ``benchmarks/results.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from leadscore.benchmark.measure import Measurement, read_loadavg, run_measured
from leadscore.benchmark.report import render_markdown
from leadscore.benchmark.stages import DBT_STAGES, EXTRA_STAGES, FULL_BUILD_ARGUMENTS, stage_arguments
from leadscore.benchmark.warehouse_facts import warehouse_facts

REPO_ROOT = Path(__file__).resolve().parents[3]
GIB = 1024 ** 3


def machine_facts() -> dict:
    """Cores, memory, CPU model and OS of this machine."""
    memory = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    model = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "memory_bytes": memory, "cpu_model": model, "os": platform.platform(),
            "python": platform.python_version()}


def library_versions() -> dict:
    packages = ("dbt-core", "dbt-duckdb", "duckdb", "lightgbm", "scikit-learn", "pandas", "numpy", "pyarrow")
    return {package: version(package) for package in packages}


def git_commit() -> str | None:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        return None
    return result.stdout.strip() + ("+uncommitted changes" if dirty.stdout.strip() else "")


def slowest_nodes(run_results: dict, top: int = 8) -> list[dict]:
    """The nodes of a dbt invocation that took longest, from its run_results.json."""
    nodes = [{"node": result["unique_id"].split(".", 2)[-1], "seconds": round(result["execution_time"], 2),
              "status": result["status"]} for result in run_results.get("results", [])]
    return sorted(nodes, key=lambda node: -node["seconds"])[:top]


class ScaleRun:
    """The measured stages of one scale, in one work folder."""

    def __init__(self, leads: int, work_dir: Path, *, seed: int, memory_limit_bytes: int, time_limit_seconds: float,
                 deadline: datetime | None = None, on_stage_done=None):
        self.leads = leads
        self.work_dir = work_dir / f"leads_{leads}"
        self.db_path = self.work_dir / "warehouse.duckdb"
        self.raw_copy = self.work_dir / "raw.duckdb"
        self.seed = seed
        self.limits = {"memory_limit_bytes": memory_limit_bytes, "time_limit_seconds": time_limit_seconds}
        self.stages: dict[str, dict] = {}
        self.deadline = deadline
        self.on_stage_done = on_stage_done or (lambda: None)
        self.env = {
            **os.environ,
            "LEADSCORE_DB": str(self.db_path),
            "DBT_PROFILES_DIR": str(REPO_ROOT),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "OMP_WAIT_POLICY": "passive",
        }

    def _run(self, name: str, command: list[str], **extra) -> Measurement:
        log_path = self.work_dir / f"{name}.log"
        limits = dict(self.limits)
        if self.deadline is not None:
            # past --deadline a stage is stopped, and reported as stopped, so a long run still publishes in time
            left = (self.deadline - datetime.now(timezone.utc)).total_seconds()
            limits["time_limit_seconds"] = max(1.0, min(limits["time_limit_seconds"], left))
        print(f"[{datetime.now():%H:%M:%S}] {self.leads:>9,} leads  {name:<20} ...", end="", flush=True)
        measurement = run_measured(command, env=self.env, cwd=REPO_ROOT, log_path=log_path, **limits)
        if measurement.killed_by == "time_limit" and limits["time_limit_seconds"] < self.limits["time_limit_seconds"]:
            measurement.killed_by = "deadline"
        status = "ok" if measurement.ok else f"FAILED ({measurement.killed_by or measurement.exit_code})"
        print(f" {measurement.wall_seconds:8.1f} s  {measurement.peak_rss_bytes / GIB:5.2f} GB  {status}", flush=True)
        self.stages[name] = {**measurement.to_dict(), "command": " ".join(command[1:] if name != "generate"
                                                                              else command[2:]), **extra}
        self.on_stage_done()
        return measurement

    def _dbt(self, name: str, arguments: list[str], **extra) -> Measurement:
        dbt = str(Path(sys.executable).parent / "dbt")
        command = [dbt, *arguments, "--target-path", str(self.work_dir / "target"),
                   "--log-path", str(self.work_dir / "logs")]
        run_results = self.work_dir / "target" / "run_results.json"
        run_results.unlink(missing_ok=True)  # a stage killed before dbt writes its own must not show the previous one's
        measurement = self._run(name, command, **extra)
        if run_results.exists():
            kept = self.work_dir / f"{name}_run_results.json"
            shutil.copyfile(run_results, kept)
            self.stages[name]["slowest_nodes"] = slowest_nodes(json.loads(kept.read_text()))
        return measurement

    def _models(self, arguments: list[str]) -> list[str]:
        dbt = str(Path(sys.executable).parent / "dbt")
        listed = subprocess.run(
            [dbt, "ls", *arguments[1:], "--resource-type", "model", "--output", "name", "--quiet",
             "--target-path", str(self.work_dir / "target_ls"), "--log-path", str(self.work_dir / "logs")],
            env=self.env, cwd=REPO_ROOT, capture_output=True, text=True,
        )
        return sorted(listed.stdout.split())

    def generate(self) -> bool:
        shutil.rmtree(self.work_dir, ignore_errors=True)
        self.work_dir.mkdir(parents=True)
        # --no-truth: the generator's honest truth is a Monte Carlo read only by the oracle, not part of the job
        command = [sys.executable, "-m", "leadscore.generator", "--leads", str(self.leads), "--seed", str(self.seed),
                   "--db", str(self.db_path), "--no-truth"]
        ok = self._run("generate", command).ok
        if ok:
            shutil.copyfile(self.db_path, self.raw_copy)  # the reference reads the same raw data, untouched
        return ok

    def dbt_stages(self) -> bool:
        for index, stage in enumerate(DBT_STAGES):
            if self.past_deadline():
                self.stages[stage.name] = {"status": "n/a", "note": "not run: past --deadline"}
                continue
            arguments = stage_arguments(index)
            models = self._models(arguments)
            if not models:
                self.stages[stage.name] = {"status": "n/a", "models": [],
                                           "note": f"no models selected by {' '.join(stage.select)}"}
                print(f"{'':>30}{stage.name:<20} n/a (no models)")
                continue
            if not self._dbt(stage.name, arguments, models=models).ok:
                return False
        return True

    def past_deadline(self) -> bool:
        return self.deadline is not None and datetime.now(timezone.utc) >= self.deadline

    def full_build(self) -> bool:
        return self._dbt("build_no_retrain", FULL_BUILD_ARGUMENTS).ok

    def extra_stages(self) -> None:
        """The comparisons of EXTRA_STAGES, on the built warehouse; a failure is recorded, not fatal."""
        for stage in EXTRA_STAGES:
            if self.leads < stage.min_leads:
                continue
            if stage.command:
                command = [part.format(python=sys.executable, db=self.db_path) for part in stage.command]
                self._run(stage.name, command)
            else:
                self._dbt(stage.name, list(stage.arguments))

    def reference(self, *, phase_file: Path) -> dict:
        command = [sys.executable, "-m", "leadscore.benchmark.reference", "--db", str(self.raw_copy),
                   "--phases-out", str(phase_file), "--seed", str(self.seed)]
        measurement = self._run("reference", command)
        phases = [json.loads(line) for line in phase_file.read_text().splitlines()] if phase_file.exists() else []
        # the reference's last line is {"result": {...}}: its split sizes and test AUC, next to the package's
        lines = (self.work_dir / "reference.log").read_text().splitlines()
        result = json.loads(lines[-1]).get("result") if lines and lines[-1].startswith('{"result"') else None
        return {**self.stages.pop("reference"), "phases": phases, "result": result,
                "status": "ok" if measurement.ok else "failed"}

    def cleanup(self, keep: bool) -> None:
        if not keep:
            for path in (self.db_path, self.raw_copy, self.work_dir / "warehouse.duckdb.wal"):
                path.unlink(missing_ok=True)


def run_benchmark(args: argparse.Namespace) -> dict:
    results = {
        "run": {
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": "python -m leadscore.benchmark " + " ".join(sys.argv[1:]),
            "git_commit": git_commit(),
            "machine": machine_facts(),
            "libraries": library_versions(),
            "omp_wait_policy": "passive",
            "loadavg_at_start": read_loadavg(),
        },
        "scales": [],
    }
    previous = args.out / "results.json"
    if args.append and previous.exists():
        # one published table from consecutive invocations: earlier scales are kept, each with its own commit,
        # start time and load, and a scale run again replaces its earlier entry
        kept = json.loads(previous.read_text())
        results["run"]["started_at"] = kept["run"].get("started_at", results["run"]["started_at"])
        results["run"]["command"] = kept["run"].get("command", "") + "; then " + results["run"]["command"]
        results["scales"] = [scale for scale in kept.get("scales", []) if scale["leads"] not in args.leads]
    for leads in args.leads:
        entry: dict = {"leads": leads, "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       "git_commit": git_commit()}
        results["scales"] = [scale for scale in results["scales"] if scale["leads"] != leads] + [entry]
        results["scales"].sort(key=lambda scale: scale["leads"])

        def publish() -> None:
            entry["stages"] = scale.stages
            write_results(results, args.out)

        scale = ScaleRun(leads, args.work_dir, seed=args.seed, memory_limit_bytes=int(args.memory_guard_gb * GIB),
                         time_limit_seconds=args.stage_time_limit_minutes * 60, deadline=args.deadline,
                         on_stage_done=publish)
        started = time.perf_counter()
        generated = scale.generate()
        built = generated and scale.dbt_stages()
        if generated:
            entry["facts"] = _facts_or_error(scale.db_path)
            publish()
        if built and leads > args.full_build_max_leads:
            scale.stages["build_no_retrain"] = {"status": "n/a", "note": "not run: --full-build-max-leads"}
        elif built and not scale.past_deadline():
            built = scale.full_build()
        if built:
            scale.extra_stages()
        entry["stages"] = scale.stages
        if (not args.no_reference and leads <= args.reference_max_leads and scale.raw_copy.exists()
                and not scale.past_deadline()):
            entry["reference"] = scale.reference(phase_file=scale.work_dir / "reference_phases.jsonl")
        entry["elapsed_seconds"] = round(time.perf_counter() - started, 1)
        scale.cleanup(keep=args.keep_databases and leads < 1_000_000)
        write_results(results, args.out)
    results["run"]["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_results(results, args.out)
    return results


def _facts_or_error(db_path: Path) -> dict:
    """warehouse_facts, or the error that stopped it (a stage may have left a table missing)."""
    try:
        return warehouse_facts(db_path)
    except Exception as error:  # noqa: BLE001 - the benchmark reports what it could not read and carries on
        return {"error": f"{type(error).__name__}: {error}"}


def write_results(results: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "results.md").write_text(render_markdown(results))


def _utc_time(text: str) -> datetime:
    hours, minutes = (int(part) for part in text.split(":"))
    return datetime.now(timezone.utc).replace(hour=hours, minute=minutes, second=0, microsecond=0)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m leadscore.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="scales to run, in leads (default %(default)s)")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/bench"),
                        help="where the DuckDB files, dbt targets and logs go (default %(default)s)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks",
                        help="where results.json and results.md go (default %(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default %(default)s)")
    parser.add_argument("--no-reference", action="store_true", help="skip the pandas reference run")
    parser.add_argument("--full-build-max-leads", type=int, default=10 ** 12,
                        help="above this many leads, skip the second (no-retrain) full build to save time")
    parser.add_argument("--reference-max-leads", type=int, default=10 ** 12,
                        help="above this many leads, skip the pandas reference")
    parser.add_argument("--append", action="store_true",
                        help="keep the other scales of an existing results.json in --out (a scale run again is "
                             "replaced), so the large scale can run in its own invocation")
    parser.add_argument("--keep-databases", action="store_true",
                        help="keep the DuckDB files below a million leads (a million-lead file is always deleted)")
    parser.add_argument("--memory-guard-gb", type=float, default=20.0,
                        help="kill a stage whose process tree goes over this resident memory (default %(default)s)")
    parser.add_argument("--stage-time-limit-minutes", type=float, default=90.0,
                        help="kill a stage that runs longer than this (default %(default)s)")
    parser.add_argument("--deadline", type=_utc_time,
                        help="UTC time (HH:MM, today) at which a running stage is stopped and none is started, so "
                             "a long run still publishes what it measured")
    args = parser.parse_args(argv)
    if any(leads < 1 for leads in args.leads):
        parser.error("--leads must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    results = run_benchmark(args)
    print(f"results: {args.out / 'results.json'}, {args.out / 'results.md'}")
    if any(not stage.get("exit_code", 0) == 0 for scale in results["scales"] for stage in scale["stages"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
