"""Whether the process that left a marker behind (a lock's pid, a temporary file's pid) is still running.

A pid alone is not enough: after a crash the pid can be reused by an unrelated process, and a marker naming
it would look alive forever. So a marker also records the process's start time (Linux: field 22 of
/proc/PID/stat, in clock ticks since boot), and a live pid whose start time differs is a different
process."""
from __future__ import annotations

import os


def process_started(pid: int) -> str | None:
    """The start time of process `pid` as the kernel reports it, or None where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name in parentheses may hold spaces
    return fields[19] if len(fields) > 19 else None


def process_command(pid: int) -> str | None:
    """The command line of process `pid` (arguments joined by spaces), or None where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return None


def process_token(pid: int | None = None) -> str:
    """`PID START` of this process (or `pid`), for a marker file."""
    pid = os.getpid() if pid is None else pid
    return f"{pid} {process_started(pid) or '?'}"


def process_alive(pid: int, started: str | None = None) -> bool:
    """Whether `pid` runs, and, when `started` is given (and not '?'), is the process that started then."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except (OverflowError, ValueError):
        return False
    if started in (None, "?"):
        return True
    now = process_started(pid)
    return now is None or now == started


def token_alive(token: str, command: str | None = None) -> bool:
    """Whether the `PID [START]` text of a marker names a running process (whose command line, where /proc
    shows it, contains `command`: a marker without a start time, written by an older version, may name a
    pid that now belongs to an unrelated process)."""
    parts = token.split()
    try:
        pid = int(parts[0])
    except (IndexError, ValueError):
        return False
    if not process_alive(pid, parts[1] if len(parts) > 1 else None):
        return False
    running = process_command(pid) if command is not None else None
    return running is None or command in running
