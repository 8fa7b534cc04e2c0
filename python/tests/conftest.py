"""Shared fixtures: a fresh local store, a real `lakefeed serve` on loopback with a signed token, and a client
of either kind (`client` runs a test against both)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from lakefeed import Client

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
SECRET = "a-python-test-secret-of-some-length"


def lakefeed_bin() -> str:
    """The CLI built next to this package (`cargo build` / `cargo test` put it there)."""
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    path = Path(os.environ.get("LAKEFEED_BIN", Path(target) / "debug" / "lakefeed"))
    if not path.exists():
        pytest.skip(f"no lakefeed binary at {path}; run `cargo build` first")
    return str(path)


def fixture(*parts: str) -> Path:
    """A path under the shared fixtures; the test is skipped where they are absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"fixture {path} is absent")
    return path


def token(org: str = "testorg") -> str:
    """An HS256 JWT with the seed's `OrgID` claim, signed with the test server's secret."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"OrgID": org, "UserID": "tester", "exp": int(time.time()) + 3600}).encode())
    signature = hmac.new(SECRET.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(signature)}"


@pytest.fixture(autouse=True)
def _no_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DEEPLAKE_API_KEY", "DEEPLAKE_API_URL", "LAKEFEED_STORE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "store")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `lakefeed serve` over a fresh root; yields its URL."""
    root = tmp_path_factory.mktemp("served")
    proc = subprocess.Popen(
        [lakefeed_bin(), "--store", str(root), "serve", "--listen", "127.0.0.1:0", "--jwt-secret", SECRET],
        stdout=subprocess.PIPE,
        env={**os.environ, "LAKEFEED_LOG": "warn"},
        text=True,
    )
    line = proc.stdout.readline().strip() if proc.stdout else ""
    assert line.startswith("listening on "), f"no address from lakefeed serve: {line!r}"
    yield line.removeprefix("listening on ")
    proc.terminate()
    proc.wait(timeout=30)


_served_workspaces = iter(range(1_000_000))


@pytest.fixture(params=["local", "serve"])
def client(request: pytest.FixtureRequest, store: str) -> Client:
    """A client of a fresh local store, or of a fresh workspace of `lakefeed serve`."""
    if request.param == "local":
        return Client(store=store)
    url = request.getfixturevalue("server")
    return Client(token=token(), workspace_id=f"ws{next(_served_workspaces)}", api_url=url)


TOOLS_VENV = Path(os.environ.get("LAKEFEED_CACHE", Path.home() / ".cache" / "lakefeed")) / "venv" / "bin"


@pytest.fixture(scope="session")
def s3() -> Iterator[dict]:
    """A real S3-compatible server on loopback: moto's (`moto[server]` in the tools venv that scripts/setup.sh
    makes; it honours the conditional PUTs Lance commits with), with one bucket. Yields the storage options."""
    import socket

    moto = TOOLS_VENV / "moto_server"
    if not moto.exists():
        pytest.skip(f"no {moto}; run scripts/setup.sh")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline, "moto_server did not listen"
            time.sleep(0.1)
    subprocess.run(
        [str(TOOLS_VENV / "python"), "-c",
         "import sys, boto3; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', "
         "aws_access_key_id='testing', aws_secret_access_key='testing').create_bucket(Bucket='lakefeed-py')",
         endpoint],
        check=True,
    )
    yield {
        "aws_endpoint": endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "aws_region": "us-east-1",
        "allow_http": "true",
    }
    proc.terminate()
    proc.wait(timeout=30)
