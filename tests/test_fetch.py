"""Fetchers against a local HTTP server serving archives built in the test: success, checksum
mismatch, interrupted transfer, malicious members, unexpected content, and clean restarts."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import json
import os
import socket
import stat
import struct
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sklearn_ser.datasets import (
    DATA_HOME_ENV,
    CorpusFileWarning,
    DownloadError,
    UnsafeArchiveError,
    _extract,
    _fetch,
    _registry,
    fetch_crema_d,
    fetch_emodb,
    fetch_ravdess,
    fetch_savee,
    fetch_tess,
    get_data_home,
)

EMODB_CLIPS = ["wav/03a01Fa.wav", "wav/08a02Wb.wav", "wav/16b10Ta.wav"]


# --------------------------------------------------------------------------- archives and server


def tiny_wav(seed: int) -> bytes:
    buffer = io.BytesIO()
    noise = np.random.default_rng(seed).uniform(-0.1, 0.1, 160).astype(np.float32)
    sf.write(buffer, noise, 16000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def make_zip(entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buffer.getvalue()


def emodb_zip(extra: dict[str, bytes] | None = None) -> bytes:
    entries = {name: tiny_wav(i) for i, name in enumerate(EMODB_CLIPS)}
    entries["erkennung.txt"] = b"listening test results"
    return make_zip({**entries, **(extra or {})})


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        server = self.server
        server.requests.append(self.path)
        if self.path not in server.routes:
            self.send_error(404)
            return
        body, mode = server.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        if mode == "unannounced":
            # No Content-Length: only the cap while reading stops it.
            self.end_headers()
            try:
                for start in range(0, len(body), 65536):
                    self.wfile.write(body[start:start + 65536])
            except OSError:  # the client hung up at its cap
                pass
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "slow":
            # Slow enough that two concurrent fetchers overlap.
            for start in range(0, len(body), 1024):
                self.wfile.write(body[start:start + 1024])
                self.wfile.flush()
                time.sleep(0.05)
            return
        if mode == "truncate":
            # The connection drops half-way through the announced body.
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def server():
    """A threaded HTTP server on 127.0.0.1; ``server.serve(path, body, mode)`` adds a route."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes, httpd.requests = {}, []

    def serve(path: str, body: bytes, mode: str = "ok") -> str:
        httpd.routes[path] = (body, mode)
        return f"http://127.0.0.1:{httpd.server_address[1]}{path}"

    httpd.serve = serve
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # A proxy configured in the environment must not intercept requests to the local server.
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def register(monkeypatch, key, url, known_hash, clips=None, speakers=None, counts=None, **kwargs):
    """Point the registry entry ``key`` at the local server for this test only.

    ``clips``, ``speakers`` and ``counts`` (clips per emotion) are what the download must
    hold (None: not checked); ``kwargs`` replace fields of the archive.
    """
    entry = _registry.get_corpus(key)
    # No fallback address unless a test asks: nothing may reach the real hosts.
    archive = dataclasses.replace(
        entry.archive, url=url, known_hash=known_hash, **{"fallback_url": None, **kwargs}
    )
    entry = dataclasses.replace(
        entry, archive=archive, clips=clips, speakers=speakers, emotion_counts=counts
    )
    monkeypatch.setitem(_registry._BY_NAME, key, entry)
    return archive


def assert_nothing_left(home: Path, folder: str):
    """No corpus folder, no partial extraction, no archive, no temporary download file."""
    assert not (home / folder).exists()
    assert not list(home.glob(f".{folder}.partial-*"))
    archives = home / "_archives"
    assert not archives.exists() or not list(archives.iterdir())


# --------------------------------------------------------------------------- downloads


def test_fetch_success_then_offline_reuse(server, monkeypatch, tmp_path):
    body = emodb_zip()
    register(monkeypatch, "emodb", server.serve("/emodb.zip", body), sha256(body), 3, 3)
    home = tmp_path / "home"

    data = fetch_emodb(data_home=home)
    assert len(data.frame) == 3 and data.frame["speaker"].nunique() == 3
    assert all(Path(p).is_relative_to(home / "emodb") for p in data.X)
    assert (home / "emodb" / "wav" / "03a01Fa.wav").read_bytes() == tiny_wav(0)
    assert (home / "emodb" / _fetch._MARKER).is_file()
    assert not list((home / "_archives").iterdir())  # the archive is removed once extracted
    assert not list(home.glob(".emodb.partial-*"))
    assert server.requests == ["/emodb.zip"]

    again = fetch_emodb(data_home=home, download_if_missing=False, emotions=["happy"])
    assert again.frame["label"].tolist() == ["F"]
    assert server.requests == ["/emodb.zip"]  # served from disk, no new request


def test_checksum_mismatch_leaves_nothing_and_retry_succeeds(server, monkeypatch, tmp_path):
    body = emodb_zip()
    url = server.serve("/emodb.zip", body)
    register(monkeypatch, "emodb", url, "sha256:" + "0" * 64, 3, 3)
    with pytest.raises(DownloadError, match=r"does not match its pinned checksum sha256:0000"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")

    register(monkeypatch, "emodb", url, sha256(body), 3, 3)
    assert len(fetch_emodb(data_home=tmp_path).frame) == 3


def test_interrupted_transfer_leaves_nothing_and_retry_succeeds(server, monkeypatch, tmp_path):
    body = emodb_zip()
    url = server.serve("/emodb.zip", body, mode="truncate")
    register(monkeypatch, "emodb", url, sha256(body), 3, 3)
    with pytest.raises(
        DownloadError, match=r"Downloading the EmoDB archive from http://127\.0\.0\.1"
    ):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")

    server.serve("/emodb.zip", body)  # the connection holds this time
    assert len(fetch_emodb(data_home=tmp_path).frame) == 3


def test_interrupted_transfer_without_checksum_is_still_caught(server, monkeypatch, tmp_path):
    body = emodb_zip()
    register(monkeypatch, "emodb", server.serve("/e.zip", body, mode="truncate"), None, 3, 3)
    with pytest.raises(DownloadError):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")


def test_http_error_is_reported(server, monkeypatch, tmp_path):
    register(monkeypatch, "emodb", server.serve("/x", b"") + "-missing", None, 3, 3)
    with pytest.raises(DownloadError, match="404"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")


def test_malicious_member_extracts_nothing(server, monkeypatch, tmp_path):
    body = emodb_zip(extra={"../evil.wav": b"owned"})
    register(monkeypatch, "emodb", server.serve("/emodb.zip", body), sha256(body), 3, 3)
    home = tmp_path / "home"
    with pytest.raises(UnsafeArchiveError, match=r"member '\.\./evil\.wav' is unsafe"):
        fetch_emodb(data_home=home)
    assert not (tmp_path / "evil.wav").exists() and not (home / "evil.wav").exists()
    assert_nothing_left(home, "emodb")


def test_unexpected_content_is_not_published(server, monkeypatch, tmp_path):
    body = emodb_zip()
    register(monkeypatch, "emodb", server.serve("/emodb.zip", body), sha256(body), 535, 10)
    with pytest.raises(DownloadError, match="3 clips instead of 535 and 3 speakers instead of 10"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")


def test_archive_without_clips_or_not_a_zip(server, monkeypatch, tmp_path):
    empty = make_zip({"readme.txt": b"moved"})
    register(monkeypatch, "emodb", server.serve("/empty.zip", empty), None)
    with pytest.raises(DownloadError, match="holds no EmoDB clips"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")

    register(monkeypatch, "emodb", server.serve("/page.zip", b"<html>login</html>"), None)
    with pytest.raises(DownloadError, match="not a valid zip file"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")


def test_rerun_after_a_killed_extraction_starts_clean(server, monkeypatch, tmp_path):
    body = emodb_zip()
    register(monkeypatch, "emodb", server.serve("/emodb.zip", body), sha256(body), 3, 3)
    # What a killed process leaves: a partial extraction and pooch's temporary download.
    partial = tmp_path / ".emodb.partial-abc123"
    (partial / "wav").mkdir(parents=True)
    (partial / "wav" / "03a01Fa.wav").write_bytes(b"half")
    (tmp_path / "_archives").mkdir()
    (tmp_path / "_archives" / "tmpq1w2e3").write_bytes(b"half a zip")
    assert len(fetch_emodb(data_home=tmp_path).frame) == 3
    assert not partial.exists() and not list((tmp_path / "_archives").iterdir())


def test_verified_archive_left_by_a_killed_run_is_reused(server, monkeypatch, tmp_path):
    body = emodb_zip()
    archive = register(monkeypatch, "emodb", server.serve("/emodb.zip", body), sha256(body), 3, 3)
    (tmp_path / "_archives").mkdir()
    (tmp_path / "_archives" / archive.filename).write_bytes(body)
    assert len(fetch_emodb(data_home=tmp_path).frame) == 3
    assert server.requests == []


def test_existing_incomplete_folder_is_not_overwritten(monkeypatch, tmp_path):
    (tmp_path / "emodb").mkdir()
    (tmp_path / "emodb" / "03a01Fa.wav").touch()
    with pytest.raises(
        FileExistsError, match=r"not a complete EmoDB download.*load_corpus\('emodb'"
    ):
        fetch_emodb(data_home=tmp_path)
    assert (tmp_path / "emodb" / "03a01Fa.wav").exists()


def test_missing_corpus_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download_if_missing=False"):
        fetch_emodb(data_home=tmp_path, download_if_missing=False)
    with pytest.raises(TypeError, match="download_if_missing must be True or False"):
        fetch_emodb(data_home=tmp_path, download_if_missing="no")


@pytest.mark.parametrize(
    "fetch, key, entries, kwargs",
    [
        (
            fetch_ravdess,
            "ravdess_song",
            ["Actor_01/03-02-03-01-01-01-01.wav", "Actor_02/03-02-01-01-02-02-02.wav"],
            {"subset": "song"},
        ),
        (
            fetch_tess,
            "tess",
            ["TESS/OAF_Pleasant_surprise/OAF_back_ps.wav", "TESS/YAF_sad/YAF_bite_sad.wav"],
            {},
        ),
    ],
)
def test_other_public_fetchers(server, monkeypatch, tmp_path, fetch, key, entries, kwargs):
    body = make_zip({name: tiny_wav(i) for i, name in enumerate(entries)})
    register(monkeypatch, key, server.serve(f"/{key}.zip", body), sha256(body), 2, 2)
    data = fetch(data_home=tmp_path, **kwargs)
    assert len(data.frame) == 2 and (tmp_path / key / _fetch._MARKER).is_file()


def test_pinned_registry():
    for key in ("ravdess_speech", "ravdess_song"):
        archive = _registry.get_corpus(key).archive
        assert archive.url.startswith("https://zenodo.org/records/1188976/files/")
        algorithm, digest = archive.known_hash.split(":")
        assert algorithm == "sha256" and len(digest) == 64 and int(digest, 16) >= 0
    counts = {"ravdess_speech": 1440, "ravdess_song": 1012, "emodb": 535, "tess": 2800}
    for key, clips in counts.items():
        entry = _registry.get_corpus(key)
        assert entry.clips == clips == sum(entry.emotion_counts.values())
        # https wherever the host offers it; plain http only as a warned fallback.
        assert entry.archive.url.startswith("https://")
        assert entry.archive.fallback_url in (None, entry.archive.url.replace("https", "http", 1))
    with pytest.raises(ValueError, match="subset must be 'speech' or 'song'"):
        fetch_ravdess(subset="all")


def test_http_fallback_only_when_the_caller_allows_it(server, monkeypatch, tmp_path):
    body = emodb_zip()
    # A closed port on 127.0.0.1 stands for a host that offers no TLS: connection refused.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    url = server.serve("/emodb.zip", body)
    register(
        monkeypatch, "emodb", f"https://127.0.0.1:{port}/emodb.zip", None, 3, 3, fallback_url=url
    )
    with pytest.raises(DownloadError, match=r"without TLS; pass allow_http=True"):
        fetch_emodb(data_home=tmp_path)
    assert server.requests == []  # never downgraded on its own
    assert_nothing_left(tmp_path, "emodb")
    with pytest.warns(UserWarning, match=r"could not be reached.*downloading from http://"):
        data = _fetch.fetch_corpus("emodb", tmp_path, allow_http=True)
    assert len(data.frame) == 3 and server.requests == ["/emodb.zip"]


def test_a_redirect_to_plain_http_is_refused(monkeypatch, tmp_path):
    import requests

    class Redirected:  # what requests returns after following https -> http
        url = "http://elsewhere.example/emodb.zip"

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(requests, "get", lambda *a, **k: Redirected())
    register(monkeypatch, "emodb", "https://127.0.0.1:1/emodb.zip", None, 3, 3)
    with pytest.raises(DownloadError, match=r"redirects to http://elsewhere.*allow_http=True"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")


@pytest.mark.parametrize("mode", ["ok", "unannounced"])
def test_a_download_stops_at_its_expected_size(server, monkeypatch, tmp_path, mode):
    body = make_zip({"junk.bin": os.urandom(3 * 2**20)})  # 3 MiB where ~1 MiB is expected
    register(monkeypatch, "emodb", server.serve("/big.zip", body, mode), None, 3, 3,
             max_size=2**10)
    assert _registry.download_limit(_registry.get_corpus("emodb").archive) == 2**10 + 2**20
    how = "announces" if mode == "ok" else "sent at least"
    with pytest.raises(DownloadError, match=rf"big\.zip {how} [\d,]+ bytes, more than the "
                                            r"1,049,600 bytes expected"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")


def _fetch_in_child(home, results):
    try:
        data = fetch_emodb(data_home=home)
        results.put(("ok", len(data.frame)))
    except BaseException as exc:  # anything: the parent reports it
        results.put(("error", repr(exc)))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the children inherit the test registry")
def test_concurrent_fetches_into_one_data_home(server, monkeypatch, tmp_path):
    import multiprocessing

    body = emodb_zip()
    register(monkeypatch, "emodb", server.serve("/slow.zip", body, "slow"), sha256(body), 3, 3)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = [context.Process(target=_fetch_in_child, args=(tmp_path, results))
                for _ in range(2)]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(30)
    assert outcomes == [("ok", 3), ("ok", 3)]
    assert server.requests == ["/slow.zip"]  # one downloaded, the other used its result
    assert (tmp_path / "emodb" / _fetch._MARKER).is_file()
    assert not list(tmp_path.glob(".emodb.partial-*"))


def test_published_folders_follow_the_umask(server, monkeypatch, tmp_path):
    body = emodb_zip()
    register(monkeypatch, "emodb", server.serve("/emodb.zip", body), sha256(body), 3, 3)
    old = os.umask(0o022)
    try:
        fetch_emodb(data_home=tmp_path)
    finally:
        os.umask(old)
    # readable by the other users of a shared data home, as any folder made with that umask
    for folder in (tmp_path / "emodb", tmp_path / "emodb" / "wav"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder


def test_transfer_cut_short_is_never_retried_over_http(server, monkeypatch, tmp_path):
    body = emodb_zip()
    primary = server.serve("/cut.zip", body, mode="truncate")
    fallback = server.serve("/plain.zip", body)
    register(monkeypatch, "emodb", primary, None, 3, 3, fallback_url=fallback)
    with pytest.raises(DownloadError, match=r"cut\.zip failed"):
        fetch_emodb(data_home=tmp_path)
    assert server.requests == ["/cut.zip"]
    assert_nothing_left(tmp_path, "emodb")


def test_emotion_counts_are_checked(server, monkeypatch, tmp_path):
    body = emodb_zip()
    counts = {"happy": 1, "angry": 1, "sad": 1}
    register(monkeypatch, "emodb", server.serve("/e.zip", body), None, 3, 3, counts=counts)
    assert len(fetch_emodb(data_home=tmp_path / "ok").frame) == 3
    wrong = {"happy": 2, "angry": 1}
    register(monkeypatch, "emodb", server.serve("/e.zip", body), None, 3, 3, counts=wrong)
    with pytest.raises(DownloadError, match=r"clips per emotion \{.*\} instead of \{'happy': 2"):
        fetch_emodb(data_home=tmp_path / "wrong")
    assert_nothing_left(tmp_path / "wrong", "emodb")


def zip_bomb(size: int = 300 * 1024**2) -> bytes:
    """A valid zip whose one member inflates ~1000-fold: 300 MB of zeros in ~300 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("wav/03a01Fa.wav", tiny_wav(0))
        info = zipfile.ZipInfo("wav/08a02Wb.wav")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as member:
            chunk = bytes(1024**2)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb()


def test_zip_bomb_is_refused_before_it_is_expanded(server, monkeypatch, tmp_path, bomb):
    assert len(bomb) < 400 * 1024  # the 315 KB zip of the issue
    # Generous bounds, so that only the compression ratio refuses it.
    register(
        monkeypatch,
        "emodb",
        server.serve("/bomb.zip", bomb),
        sha256(bomb),
        2,
        2,
        max_size=10 * 1024**3,
    )
    with pytest.raises(UnsafeArchiveError, match=r"wav/08a02Wb\.wav.*ratio .*zip bomb"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")
    assert sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file()) < 1024**2


def test_total_size_bound_refuses_before_writing(tmp_path, bomb):
    archive = tmp_path / "a.zip"
    archive.write_bytes(bomb)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(
        UnsafeArchiveError, match=r"take 314,5\d\d,\d\d\d bytes, more than the bound"
    ):
        _extract.safe_extract_zip(archive, out, max_size=200 * 1024**2, max_ratio=10**6)
    assert list(out.iterdir()) == []


def test_total_size_bound_of_an_incompressible_archive(server, monkeypatch, tmp_path):
    noise = np.random.default_rng(0).bytes(300_000)  # incompressible: ratio ~1
    body = emodb_zip(extra={"wav/03a04Wc.wav": noise})
    register(monkeypatch, "emodb", server.serve("/big.zip", body), None, 4, 3, max_size=200_000)
    with pytest.raises(UnsafeArchiveError, match="more than the bound of 200,000 bytes"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")


def test_member_larger_than_its_header_claims_is_not_published(server, monkeypatch, tmp_path):
    body = emodb_zip(extra={"wav/03a04Wc.wav": bytes(54321)})
    # Both the local and the central header understate the size: 54,321 -> 1,000 bytes.
    assert body.count(struct.pack("<I", 54321)) == 2
    forged = body.replace(struct.pack("<I", 54321), struct.pack("<I", 1000))
    register(monkeypatch, "emodb", server.serve("/forged.zip", forged), None, 4, 3)
    with pytest.raises(DownloadError, match=r"not a valid zip file.*CRC"):
        fetch_emodb(data_home=tmp_path)
    assert_nothing_left(tmp_path, "emodb")


def test_only_clips_and_label_files_are_published(server, monkeypatch, tmp_path):
    body = emodb_zip(
        extra={
            "lablaut/03a01Fa.lab": b"phone labels",
            "silb/03a01Fa.silb": b"syllables",
            "tools/setup.exe": b"MZ not audio",
            "wav/desktop.ini": b"[.ShellClassInfo]",
            "wav/notes.wav": tiny_wav(7),  # audio, but not an EmoDB clip
        }
    )
    register(monkeypatch, "emodb", server.serve("/emodb.zip", body), sha256(body), 3, 3)
    with pytest.warns(CorpusFileWarning, match=r"3 archive member\(s\).*not published"):
        data = fetch_emodb(data_home=tmp_path)
    published = sorted(
        p.relative_to(tmp_path / "emodb").as_posix()
        for p in (tmp_path / "emodb").rglob("*")
        if p.is_file() and p.name != _fetch._MARKER
    )
    assert published == [
        "erkennung.txt",
        "lablaut/03a01Fa.lab",
        "silb/03a01Fa.silb",
        "wav/03a01Fa.wav",
        "wav/08a02Wb.wav",
        "wav/16b10Ta.wav",
    ]
    marker = json.loads((tmp_path / "emodb" / _fetch._MARKER).read_text())
    assert marker["left_out"] == 3
    assert sorted(marker["left_out_examples"]) == [
        "tools/setup.exe",
        "wav/desktop.ini",
        "wav/notes.wav",
    ]
    assert len(data.frame) == 3 and data.skipped.empty  # nothing left for the loader to skip


# --------------------------------------------------------------------------- safe extraction


@pytest.mark.parametrize(
    "name, reason",
    [
        ("../evil.wav", "'..' path component"),
        ("wav/../../evil.wav", "'..' path component"),
        ("/tmp/evil.wav", "absolute path"),
        ("\\evil.wav", "absolute path"),
        ("C:evil.wav", "absolute path"),
    ],
)
def test_safe_extract_refuses_escaping_paths(tmp_path, name, reason):
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"wav/03a01Fa.wav": b"ok", name: b"owned"}))
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeArchiveError, match=reason):
        _extract.safe_extract_zip(archive, target)
    assert list(target.iterdir()) == []  # checked before anything is written


def test_safe_extract_refuses_symlinks(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"wav/03a01Fa.wav": b"ok"}, symlinks={"wav/link": "/etc/passwd"}))
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        _extract.safe_extract_zip(archive, target)
    assert list(target.iterdir()) == []


def test_safe_extract_writes_regular_members(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"a/b/c.wav": b"1", "d.wav": b"2"}))
    out = tmp_path / "out"
    out.mkdir()
    written = _extract.safe_extract_zip(archive, out)
    assert sorted(p.relative_to(out.resolve()).as_posix() for p in written) == [
        "a/b/c.wav",
        "d.wav",
    ]


# ------------------------------------------------------------------- data home, manual corpora


def test_data_home_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.delenv(DATA_HOME_ENV, raising=False)
    assert get_data_home() == str(tmp_path / "user" / "sklearn_ser_data")
    monkeypatch.setenv(DATA_HOME_ENV, str(tmp_path / "from_env"))
    assert get_data_home() == str(tmp_path / "from_env")
    assert get_data_home(tmp_path / "explicit") == str(tmp_path / "explicit")
    assert os.path.isdir(tmp_path / "explicit")
    (tmp_path / "a_file").touch()
    with pytest.raises(NotADirectoryError, match="a_file"):
        get_data_home(tmp_path / "a_file")
    with pytest.raises(TypeError, match="data_home must be"):
        get_data_home(3)


def test_savee_needs_manual_download(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        fetch_savee(data_home=tmp_path)
    message = str(error.value)
    assert "kahlan.eps.surrey.ac.uk/savee" in message and "Register" in message
    assert str(tmp_path / "savee") in message and "AudioData/DC/a01.wav" in message
    (tmp_path / "savee" / "AudioData" / "KL").mkdir(parents=True)
    (tmp_path / "savee" / "AudioData" / "KL" / "su15.wav").touch()
    assert fetch_savee(data_home=tmp_path).frame["emotion"].tolist() == ["surprise"]


def test_crema_d_needs_git_lfs(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        fetch_crema_d(data_home=tmp_path)
    message = str(error.value)
    assert "git lfs pull" in message and "CheyneyComputerScience/CREMA-D" in message
    assert str(tmp_path / "crema_d") in message
    (tmp_path / "crema_d" / "AudioWAV").mkdir(parents=True)
    (tmp_path / "crema_d" / "AudioWAV" / "1001_DFA_ANG_XX.wav").touch()
    assert fetch_crema_d(data_home=tmp_path).frame["speaker"].tolist() == ["crema_d_1001"]


def test_fetch_emodb_and_the_cli_pass_allow_http_on(monkeypatch):
    """EmoDB's host has no TLS: its fetcher and ``--fetch --allow-http`` reach fetch_corpus."""
    import argparse

    from sklearn_ser.cli.data import _http_option
    from sklearn_ser.datasets import _emodb, fetch_emodb

    seen = {}
    monkeypatch.setattr(_emodb, "fetch_corpus", lambda *a, **k: seen.update(k))
    fetch_emodb(allow_http=True)
    assert seen == {"allow_http": True}
    asked = argparse.Namespace(allow_http=True)
    assert _http_option("emodb", asked) == {"allow_http": True}
    assert _http_option("tess", asked) == {}  # its host has TLS: the flag changes nothing
    assert _http_option("emodb", argparse.Namespace(allow_http=False)) == {}
