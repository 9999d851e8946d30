"""Running the dbt project from tests: one place that knows the command line, environment and output folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
DBT = BIN_DIR / "dbt"


def run_dbt(
    args: list[str],
    db_path: Path,
    work_dir: Path,
    dbt_vars: dict | None = None,
    expect_success: bool = True,
) -> subprocess.CompletedProcess:
    """Run dbt against the DuckDB file db_path, with target and logs kept in work_dir so runs never collide."""
    env = {
        **os.environ,
        "LEADSCORE_DB": str(db_path),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "OMP_WAIT_POLICY": "passive",
    }
    command = [str(DBT), *args, "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
    # one backtest cut (a training run each) keeps the many test builds short; test-dbt builds the default
    command += ["--vars", json.dumps({"backtest_cuts": 1, **(dbt_vars or {})})]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1200)
    if expect_success:
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result


def generate(db_path: Path, leads: int, seed: int = 42, extra: list[str] | None = None) -> None:
    """Write a synthetic raw dataset into db_path with the project's generator."""
    command = [str(BIN_DIR / "python"), "-m", "leadscore.generator", "--leads", str(leads), "--seed", str(seed),
               "--db", str(db_path), *(extra or [])]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def copy_warehouse(source: Path, destination: Path) -> Path:
    """Copy a closed DuckDB file, so one generated dataset serves several builds."""
    shutil.copyfile(source, destination)
    return destination
