"""Fetching dataset files from a list of mirrors, with checksums and an honest offline error.

Only the standard library is used (``urllib``), so downloading adds no dependency. A file is
written under a temporary name and renamed once its MD5 matches, so an interrupted download never
leaves a half-written file that a later run would take for the real one.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request

__all__ = ["download_file", "md5sum"]

# Short enough that an offline machine fails in seconds, long enough for a slow mirror to answer.
TIMEOUT_S = 15.0
_CHUNK = 1 << 20


def md5sum(path) -> str:
    """The hex MD5 of a file (an integrity check against the published checksums, not security)."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _fetch(url: str, dest: str, md5: str | None) -> None:
    tmp = dest + ".part"
    try:
        # urllib.request.urlopen is looked up at call time so tests can monkeypatch it.
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp, open(tmp, "wb") as out:
            for block in iter(lambda: resp.read(_CHUNK), b""):
                out.write(block)
        if md5 is not None:
            got = md5sum(tmp)
            if got != md5:
                raise OSError(f"checksum mismatch: MD5 {got}, expected {md5}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def download_file(filename: str, mirrors, folder: str, md5: str | None = None,
                  hint: str = "") -> str:
    """Downloads ``filename`` into ``folder`` from the first mirror that serves it.

    Args:
        filename: the file's name on the mirrors and on disk.
        mirrors: base URLs, tried in order; each is joined with ``filename``.
        folder: destination directory, created if missing.
        md5: the expected hex MD5; a mismatch counts as that mirror failing.
        hint: an extra sentence for the error message (e.g. how to work offline).

    Returns:
        The path of the downloaded file. An existing file with the right checksum is kept.

    Raises:
        RuntimeError: every mirror failed. The message lists each URL tried and why it failed,
            and where to put the file by hand.
    """
    os.makedirs(folder, exist_ok=True)
    dest = os.path.join(folder, filename)
    if os.path.isfile(dest) and (md5 is None or md5sum(dest) == md5):
        return dest
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        try:
            _fetch(url, dest, md5)
            return dest
        except (OSError, urllib.error.URLError, http.client.HTTPException, ValueError) as e:
            # URLError covers DNS/offline, HTTPError a missing file, OSError timeouts and disk
            # errors, HTTPException a connection cut mid-file: all mean "try the next mirror",
            # and each ends up in the message.
            failures.append(f"  {url}: {type(e).__name__}: {e}")
    tried = "\n".join(failures)
    raise RuntimeError(
        f"Could not download {filename}; tried:\n{tried}\n"
        f"Download it yourself and place it at {dest}."
        + (f" {hint}" if hint else ""))
