"""cached_fetch against HTTP servers on 127.0.0.1 that these tests start: resume, hashes, locks, offline, errors."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import os
import pathlib
import subprocess
import sys
import threading
import time

import pytest

from jaxnc_loaders import FetchError, cached_fetch, default_cache_dir, fetch

PAYLOAD = os.urandom(300_000)
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD at /file with Range support; the server's `behaviour` bends the rules."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        if self.path != "/file":
            self.send_error(404, "Not Found")
            return
        start = 0
        range_header = self.headers.get("Range")
        if range_header and server.behaviour != "ignore-range":
            start = int(range_header.removeprefix("bytes=").rstrip("-"))
            if start >= len(PAYLOAD):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header(
                "Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}"
            )
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        drops = server.behaviour == "drop-always" or (
            server.behaviour == "drop-once" and len(server.requests) == 1
        )
        if drops:  # promise the whole body, send a third of it, hang up
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        for i in range(0, len(body), 65536):
            self.wfile.write(body[i : i + 65536])
            if server.behaviour == "slow":
                time.sleep(0.2)


@contextlib.contextmanager
def _server(behaviour: str = "normal"):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.behaviour, server.requests = behaviour, []
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def _no_proxy_no_offline(monkeypatch):
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "JAXNC_OFFLINE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_downloads_once_then_serves_the_cache(tmp_path):
    with _server() as (server, base):
        path = cached_fetch(
            base + "/file", sha256=DIGEST, cache_dir=tmp_path, progress=False
        )
        assert (
            path.read_bytes() == PAYLOAD
            and path.parent == tmp_path
            and path.name.endswith("-file")
        )
        again = cached_fetch(
            base + "/file", sha256=DIGEST.upper(), cache_dir=tmp_path, progress=False
        )
    assert again == path
    assert server.requests == [("/file", None)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        path.name,
        path.name + ".lock",
    ]


def test_a_dropped_connection_is_resumed_with_a_range_request(tmp_path):
    with _server("drop-once") as (server, base):
        path = cached_fetch(
            base + "/file", sha256=DIGEST, cache_dir=tmp_path, progress=False
        )
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [
        ("/file", None),
        ("/file", f"bytes={len(PAYLOAD) // 3}-"),
    ]


def test_a_server_that_ignores_range_restarts_the_download(tmp_path):
    with _server("ignore-range") as (server, base):
        url = base + "/file"
        (tmp_path / (fetch._entry_name(url) + ".part")).write_bytes(PAYLOAD[:1000])
        path = cached_fetch(url, sha256=DIGEST, cache_dir=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/file", "bytes=1000-")]


def test_a_partial_file_past_the_end_is_discarded_on_416(tmp_path):
    with _server() as (server, base):
        url = base + "/file"
        stale = PAYLOAD + b"left over from another version"
        (tmp_path / (fetch._entry_name(url) + ".part")).write_bytes(stale)
        path = cached_fetch(url, sha256=DIGEST, cache_dir=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/file", f"bytes={len(stale)}-"), ("/file", None)]


def test_a_connection_that_keeps_dropping_fails_clearly_and_keeps_the_partial_file(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(fetch, "_ATTEMPTS", 2)
    with _server("drop-always") as (server, base):
        with pytest.raises(FetchError, match="failed after 2 attempts.*kept to resume"):
            cached_fetch(base + "/file", cache_dir=tmp_path, progress=False)
        (part,) = tmp_path.glob("*.part")
        assert PAYLOAD.startswith(part.read_bytes()) and part.stat().st_size > 0
        server.behaviour = "normal"
        path = cached_fetch(
            base + "/file", sha256=DIGEST, cache_dir=tmp_path, progress=False
        )
    assert path.read_bytes() == PAYLOAD
    assert server.requests[-1][1] is not None, "the last request must resume"


def test_a_wrong_hash_is_rejected_and_nothing_is_cached(tmp_path):
    with (
        _server() as (_, base),
        pytest.raises(FetchError, match=f"expected {'0' * 64}"),
    ):
        cached_fetch(
            base + "/file", sha256="0" * 64, cache_dir=tmp_path, progress=False
        )
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_http_errors_and_bad_arguments_say_what_was_wrong(tmp_path, monkeypatch):
    with _server() as (_, base), pytest.raises(FetchError, match="HTTP 404"):
        cached_fetch(base + "/missing", cache_dir=tmp_path, progress=False)
    with pytest.raises(FetchError, match="expected http or https"):
        cached_fetch("ftp://example.invalid/x", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="64 hex digits"):
        cached_fetch("http://127.0.0.1/x", sha256="abc", cache_dir=tmp_path)
    monkeypatch.setattr(fetch, "_ATTEMPTS", 2)
    with _server() as (_, base):
        closed = base  # the port is free again once the server is gone
    with pytest.raises(FetchError, match="failed after 2 attempts"):
        cached_fetch(closed + "/file", cache_dir=tmp_path, progress=False)


def test_offline_mode_reads_only_the_cache(tmp_path, monkeypatch):
    with _server() as (server, base):
        monkeypatch.setenv("JAXNC_OFFLINE", "1")
        with pytest.raises(FetchError, match="JAXNC_OFFLINE"):
            cached_fetch(base + "/file", cache_dir=tmp_path, progress=False)
        assert server.requests == []
        monkeypatch.setenv("JAXNC_OFFLINE", "0")
        path = cached_fetch(base + "/file", cache_dir=tmp_path, progress=False)
        monkeypatch.setenv("JAXNC_OFFLINE", "1")
        assert cached_fetch(base + "/file", sha256=DIGEST, cache_dir=tmp_path) == path
        with pytest.raises(FetchError, match="another sha256"):
            cached_fetch(base + "/file", sha256="1" * 64, cache_dir=tmp_path)
        assert len(server.requests) == 1


def test_default_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("JAXNC_CACHE_DIR", raising=False)
    monkeypatch.setenv(
        "XDG_CACHE_HOME", str(tmp_path / "xdg")
    )  # platformdirs' user cache on Linux
    if sys.platform.startswith("linux"):
        assert default_cache_dir() == tmp_path / "xdg" / "jaxnc" / "downloads"
    monkeypatch.setenv("JAXNC_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    with _server() as (_, base):
        assert cached_fetch(base + "/file", progress=False).parent == tmp_path / "c"


def test_progress_bar_is_shown(tmp_path, capsys):
    with _server() as (_, base):
        cached_fetch(base + "/file", cache_dir=tmp_path, progress=True)
    assert "300k" in capsys.readouterr().err


def test_two_processes_share_one_download(tmp_path):
    with _server("slow") as (server, base):
        code = (
            "import sys; from jaxnc_loaders import cached_fetch; "
            f"print(cached_fetch({base + '/file'!r}, sha256={DIGEST!r}, cache_dir=sys.argv[1], progress=False))"
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(tmp_path)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs[0] == outputs[1]
    assert pathlib.Path(outputs[0]).read_bytes() == PAYLOAD
    assert len(server.requests) == 1, (
        "the second process must wait for the first, then read its file"
    )
