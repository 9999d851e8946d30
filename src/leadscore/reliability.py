"""Run dbt against the DuckDB warehouse one build at a time, with a clear message when the file is busy.

DuckDB lets one process write a database file at a time. A second ``dbt build`` on a file another build holds
fails deep inside dbt with a long traceback; this wrapper checks first and says plainly which process holds it::

    python -m leadscore.reliability build --vars '{retrain: true}'
    python -m leadscore.reliability --wait 600 build      # a scheduler: wait up to 10 minutes for the file

Every argument after the options goes to dbt unchanged. The exit code is dbt's, or 75 (EX_TEMPFAIL: try again
later) when the warehouse file is in use.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

# The profile's default when LEADSCORE_DB is unset (profiles.yml).
DEFAULT_WAREHOUSE = Path("data/lead_scoring.duckdb")
EXIT_WAREHOUSE_IN_USE = 75
_LOCK_ERROR = re.compile(r'Could not set lock on file "(?P<path>[^"]+)": Conflicting lock is held in '
                         r"(?P<process>.+?) \(PID (?P<pid>\d+)\)")


@dataclass(frozen=True)
class LockHolder:
    """The process that holds a DuckDB file's write lock."""

    pid: int
    process: str


class WarehouseInUseError(RuntimeError):
    """The warehouse file is locked by another process."""

    def __init__(self, path: Path, holder: LockHolder | None):
        self.path = Path(path)
        self.holder = holder
        who = f"pid {holder.pid}, {holder.process}" if holder else "pid unknown"
        super().__init__(
            f"the warehouse file {self.path} is in use by another process ({who}). Only one build can write it at "
            "a time: wait for that build to finish (or stop it), then run again."
        )


def warehouse_path(environ: dict[str, str] | None = None) -> Path:
    """The DuckDB file dbt will open: LEADSCORE_DB, else the profile's default."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("LEADSCORE_DB") or DEFAULT_WAREHOUSE)


def parse_lock_error(message: str) -> LockHolder | None:
    """The lock holder named in a DuckDB lock-conflict message, or None when the message is not one."""
    match = _LOCK_ERROR.search(message)
    return LockHolder(int(match["pid"]), match["process"]) if match else None


def lock_holder(path: Path) -> LockHolder | None:
    """The process holding path's lock, or None when the file is free (or does not exist yet).

    On Linux the lock is only queried (fcntl F_GETLK), so the check can never make a starting build fail;
    elsewhere the file is opened read-only for an instant.
    """
    if not Path(path).exists():
        return None
    if sys.platform.startswith("linux"):
        return _queried_lock_holder(Path(path))
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.IOException as error:
        holder = parse_lock_error(str(error))
        if holder is None:
            raise
        return holder
    return None


def _queried_lock_holder(path: Path) -> LockHolder | None:
    """Ask the kernel who holds a lock that would block a writer on path (Linux struct flock layout)."""
    import fcntl
    import struct

    layout = "@hhqqi4x"  # l_type, l_whence, l_start, l_len, l_pid
    descriptor = os.open(path, os.O_RDONLY)
    try:
        answer = fcntl.fcntl(descriptor, fcntl.F_GETLK, struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
    finally:
        os.close(descriptor)
    lock_type, _, _, _, pid = struct.unpack(layout, answer)
    if lock_type == fcntl.F_UNLCK:
        return None
    return LockHolder(pid, _process_name(pid))


def _process_name(pid: int) -> str:
    """The command line of a process, or 'unknown process' when it cannot be read."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "unknown process"
    return command[:200] or "unknown process"


def wait_until_free(path: Path, wait_seconds: float = 0.0, poll_seconds: float = 2.0) -> None:
    """Return once path is free; raise WarehouseInUseError if it is still held after wait_seconds."""
    deadline = time.monotonic() + wait_seconds
    while True:
        holder = lock_holder(path)
        if holder is None:
            return
        if time.monotonic() >= deadline:
            raise WarehouseInUseError(path, holder)
        time.sleep(min(poll_seconds, max(deadline - time.monotonic(), 0.0)))


def dbt_executable() -> str:
    """dbt next to this Python (the project's venv), else the first on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def run_dbt(dbt_args: Sequence[str], wait_seconds: float = 0.0) -> int:
    """Run dbt with dbt_args once the warehouse file is free; its exit code, or EXIT_WAREHOUSE_IN_USE.

    The file is checked before dbt starts and dbt's own output is checked too, for a build that took the file
    between the check and dbt's connection.
    """
    path = warehouse_path()
    try:
        wait_until_free(path, wait_seconds)
    except WarehouseInUseError as error:
        print(f"leadscore: {error}", file=sys.stderr)
        return EXIT_WAREHOUSE_IN_USE
    process = subprocess.Popen([dbt_executable(), *dbt_args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, errors="replace")
    holder = None
    assert process.stdout is not None
    for line in process.stdout:
        holder = holder or parse_lock_error(line)
        if holder is None:
            sys.stdout.write(line)
    code = process.wait()
    if holder is not None:
        print(f"leadscore: {WarehouseInUseError(path, holder)}", file=sys.stderr)
        return EXIT_WAREHOUSE_IN_USE
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m leadscore.reliability",
        description="Run dbt on the DuckDB warehouse (LEADSCORE_DB) once no other process holds the file.",
    )
    parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="wait up to this long for another build to release the file (default: fail at once)")
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments for dbt, e.g. build --select ...")
    args = parser.parse_args(argv)
    if not args.dbt_args:
        parser.error("give the dbt command to run, e.g. build")
    return run_dbt(args.dbt_args, wait_seconds=args.wait)


if __name__ == "__main__":
    sys.exit(main())
