"""Ctrl-C during a long ingest: the process gets KeyboardInterrupt promptly, only whole commits remain, and the
same keyed ingest run again finishes the job with every row exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from lakefeed import Client

BATCHES, ROWS = 200, 100

SOURCE = f"""
import sys, time
from lakefeed import Client

def slow_source():
    for b in range({BATCHES}):
        time.sleep(0.02)
        yield {{"id": list(range(b * {ROWS}, (b + 1) * {ROWS})), "v": [float(b)] * {ROWS}}}

class Slow:
    def normalize(self):
        return slow_source()

def progress(rows, total):
    print(rows, flush=True)

Client(store=sys.argv[1]).ingest("t", format=Slow(), key=["id"], rows_per_commit={ROWS}, on_progress=progress)
print("finished", flush=True)
"""


def test_ctrl_c_stops_between_commits_and_a_rerun_finishes(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    script = tmp_path / "ingest.py"
    script.write_text(textwrap.dedent(SOURCE))
    proc = subprocess.Popen(
        [sys.executable, str(script), store], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for _ in range(5):  # a few commits first
        assert proc.stdout.readline().strip().isdigit()
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    stopped_in = time.monotonic() - sent
    assert proc.returncode != 0 and "KeyboardInterrupt" in err, err
    assert stopped_in < 5, f"took {stopped_in:.1f} s to stop"

    client = Client(store=store)
    partial = client.query("SELECT count(*) AS n, count(DISTINCT id) AS d FROM t")[0]
    assert 0 < partial["n"] < BATCHES * ROWS and partial["n"] % ROWS == 0 and partial["d"] == partial["n"]

    def source():
        for b in range(BATCHES):
            yield {"id": list(range(b * ROWS, (b + 1) * ROWS)), "v": [float(b)] * ROWS}

    class Again:
        def normalize(self):
            return source()

    again = client.ingest("t", format=Again(), key=["id"], rows_per_commit=ROWS)
    assert again["row_count"] == BATCHES * ROWS - partial["n"]
    full = client.query("SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM t")[0]
    n = BATCHES * ROWS
    assert full == {"n": n, "d": n, "s": n * (n - 1) // 2}
