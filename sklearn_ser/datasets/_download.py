"""The transfer itself: a pooch downloader that stops at a size cap and never downgrades to http.

pooch's own downloader writes whatever the server sends: a 600 MiB endless response would be
written in full before the archive is judged. This one refuses a response whose announced
length is over the cap before reading it, stops reading the moment the cap is passed (a
server may announce nothing, or lie), and refuses a redirect from https to plain http unless
the caller allowed plain http.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from ._extract import DownloadError

__all__ = ["CappedDownloader"]

_CHUNK = 2**20
_TIMEOUT = 60  # seconds without a byte before the transfer is given up


class CappedDownloader:
    """Download ``url`` into pooch's temporary file, never more than ``limit`` bytes.

    Parameters
    ----------
    limit : int
        The most bytes accepted: the archive's expected size plus a margin.
    corpus : str
        The corpus title, for messages.
    allow_http : bool
        Whether a plain-http address (or a redirect to one) may be used.
    """

    def __init__(self, limit: int, corpus: str, allow_http: bool):
        self.limit, self.corpus, self.allow_http = int(limit), corpus, allow_http

    def _too_large(self, url, size, how) -> DownloadError:
        return DownloadError(
            f"The {self.corpus} archive at {url} {how} {size:,} bytes, more than the "
            f"{self.limit:,} bytes expected of it (its registry size plus a margin); the "
            "transfer was stopped and nothing was kept. The server may serve something else "
            "now: please report it.")

    def __call__(self, url, output_file, pooch=None, check_only=False):
        import requests
        from tqdm.auto import tqdm

        with requests.get(url, stream=True, timeout=_TIMEOUT) as response:
            final = response.url or url
            if (urlsplit(url).scheme == "https" and urlsplit(final).scheme != "https"
                    and not self.allow_http):
                raise DownloadError(
                    f"The {self.corpus} archive at {url} redirects to {final}, which is not "
                    "https; nothing was downloaded. Pass allow_http=True to accept a "
                    "download without TLS (the archive is then checked by its CRC-32 and "
                    "its exact clip counts only).")
            response.raise_for_status()
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.limit:
                raise self._too_large(url, int(declared), "announces")
            total = int(declared) if declared.isdigit() else None
            size = 0
            with open(output_file, "wb") as sink, tqdm(
                    total=total, unit="B", unit_scale=True, desc=self.corpus,
                    disable=not sys.stderr.isatty(), leave=False) as bar:
                for chunk in response.iter_content(chunk_size=_CHUNK):
                    size += len(chunk)
                    if size > self.limit:
                        raise self._too_large(url, size, "sent at least")
                    sink.write(chunk)
                    bar.update(len(chunk))
            if total is not None and size != total:
                raise requests.exceptions.ChunkedEncodingError(
                    f"the server announced {total:,} bytes and sent {size:,}")
