"""The warehouse-lock check behind ``python -m leadscore.reliability``: who holds the DuckDB file, and the message."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from leadscore import reliability

HOLD = ("import duckdb, sys, time; connection = duckdb.connect(sys.argv[1]); print('held', flush=True); "
        "time.sleep(float(sys.argv[2]))")


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    return path


def hold(path: Path, seconds: float) -> subprocess.Popen:
    """Another process that opens the file for writing and keeps it for a while."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_lock_error_message_is_parsed():
    message = ('IO Error: Could not set lock on file "/data/w.duckdb": Conflicting lock is held in '
               "/usr/bin/python3.11 (PID 4242). See also https://duckdb.org/docs/current/connect/concurrency")
    assert reliability.parse_lock_error(message) == reliability.LockHolder(4242, "/usr/bin/python3.11")
    assert reliability.parse_lock_error("Runtime Error in model x") is None


def test_a_free_or_missing_file_has_no_holder(warehouse, tmp_path):
    assert reliability.lock_holder(warehouse) is None
    assert reliability.lock_holder(tmp_path / "not_yet_built.duckdb") is None


def test_the_holder_is_named_and_the_build_refused(warehouse, monkeypatch, capsys):
    holder = hold(warehouse, 30)
    try:
        assert reliability.lock_holder(warehouse).pid == holder.pid
        monkeypatch.setenv("LEADSCORE_DB", str(warehouse))
        assert reliability.main(["build"]) == reliability.EXIT_WAREHOUSE_IN_USE
        message = capsys.readouterr().err
        assert f"the warehouse file {warehouse} is in use by another process (pid {holder.pid}" in message
        assert "wait for that build to finish" in message
        # the check only asked: the holder still has its file
        assert holder.poll() is None
    finally:
        holder.kill()
        holder.wait()


def test_waiting_returns_once_the_holder_is_done(warehouse):
    holder = hold(warehouse, 1.5)
    started = time.monotonic()
    reliability.wait_until_free(warehouse, wait_seconds=30, poll_seconds=0.2)
    assert 0.5 < time.monotonic() - started < 30
    holder.wait()
