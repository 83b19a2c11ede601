"""Braiins OS 26.04's firmware upload: REST ``POST /api/v1/upgrade/system-upgrade`` (multipart
``metadata`` then ``data``) and gRPC ``UpgradeService/SystemUpgrade`` (a client stream: one
``metadata`` message, then ``data`` chunks).

Both carry ``SystemUpgradeMetadata`` (size, sha256 hex, discard_settings, disable_cleanup) before
the image. The simulator checks size and hash, wants a tar archive (a sysupgrade image) and
reads the release to boot from the first member's name (``braiins-os-26.05/…``): the real image's
contents are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import re

TAR_MAGIC_OFFSET = 257
TAR_MAGIC = b"ustar"
TAR_NAME_LENGTH = 100
RELEASE_IN_NAME = re.compile(r"(?<!\d)(\d{2}\.\d{2})(?!\d)")
UPGRADE_SINCE = (1, 3, 0)  # the REST API version of 26.04, which brought the upload


@dataclass(frozen=True, slots=True)
class UpgradeMetadata:
    size: int
    sha256: str
    discard_settings: bool = False


class ImageCheck:
    """Takes the image in pieces, keeping only its hash, size and first tar header."""

    def __init__(self, metadata: UpgradeMetadata) -> None:
        self.metadata = metadata
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = bytearray()

    def add(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self._size += len(chunk)
        if len(self._head) < TAR_MAGIC_OFFSET + len(TAR_MAGIC):
            self._head += chunk[: TAR_MAGIC_OFFSET + len(TAR_MAGIC) - len(self._head)]

    def problem(self, known_releases: tuple[str, ...]) -> str | None:
        """What is wrong with the upload, or None when it is an image to install."""
        if self._size != self.metadata.size:
            return f"Firmware size mismatch: expected {self.metadata.size}, got {self._size}"
        if self._hash.hexdigest() != self.metadata.sha256.lower():
            return "Firmware hash mismatch"
        if self.release(known_releases) is None:
            return "Invalid firmware image"
        return None

    def release(self, known_releases: tuple[str, ...]) -> str | None:
        head = bytes(self._head)
        magic = head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + len(TAR_MAGIC)]
        if magic != TAR_MAGIC:
            return None
        name = head[:TAR_NAME_LENGTH].split(b"\0", 1)[0].decode("utf-8", "replace")
        match = RELEASE_IN_NAME.search(name)
        if match is None or match.group(1) not in known_releases:
            return None
        return match.group(1)
