"""Reading rows by position in a fresh process, for PyTorch DataLoader workers forked from a process where
lakefeed's engine was running: the engine cannot run in such a fork (``_lakefeed.inherited_by_fork``), so each
such worker starts one reader (``python -m lakefeed._reader``) and asks it over pipes. Requests are pickled
``(client state, table, columns, positions)``; answers are Arrow IPC streams, or a pickled exception."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from typing import IO, Any, Dict, Optional, Sequence

import pyarrow as pa

_HEADER = struct.Struct("<Q")


def _send(pipe: IO[bytes], payload: bytes) -> None:
    pipe.write(_HEADER.pack(len(payload)))
    pipe.write(payload)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> Optional[bytes]:
    header = pipe.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (n,) = _HEADER.unpack(header)
    return pipe.read(n)


class ForkedReader:
    """A reader process of one forked worker; started on first use, stopped when the worker exits."""

    def __init__(self) -> None:
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_root, *sys.path])}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "lakefeed._reader"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )

    def take(self, client_state: Dict[str, Any], table: str, columns: Any, rows: Sequence[int]) -> pa.RecordBatch:
        """The rows at these positions, read by the reader process."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        _send(self._proc.stdin, pickle.dumps((client_state, table, columns, list(rows))))
        answer = _receive(self._proc.stdout)
        if answer is None:
            raise RuntimeError(f"lakefeed's reader process exited (code {self._proc.poll()})")
        if answer[:1] == b"\x01":
            raise pickle.loads(answer[1:])
        return pa.ipc.open_stream(answer[1:]).read_next_batch()

    def __del__(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.stdin.close()
            proc.wait(timeout=10)


def _serve() -> None:
    from .client import Client
    from .dataset import Dataset

    clients: Dict[str, Client] = {}
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (request := _receive(stdin)) is not None:
        state, table, columns, rows = pickle.loads(request)
        try:
            key = repr(sorted(state.items()))
            if key not in clients:
                client = Client.__new__(Client)
                client.__setstate__(state)
                clients[key] = client
            batch = Dataset(clients[key], table, columns).take(rows)
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            answer = b"\x00" + sink.getvalue().to_pybytes()
        except Exception as e:  # the worker raises it
            answer = b"\x01" + pickle.dumps(e)
        _send(stdout, answer)


if __name__ == "__main__":
    _serve()
