"""Build and read ESP32 application images (the kind of file ``esp-miner.bin`` is).

Layout used (ESP-IDF app image format):

* byte 0: image magic ``0xE9``; byte 1: segment count; bytes 2-3: flash mode / size+speed;
  bytes 4-7: entry point; bytes 8-23: extended header (chip id, revisions, hash flag).
* bytes 24-31: header of the first segment (load address, length).
* byte 32: start of the first segment, which holds ``esp_app_desc_t``:
  magic word ``0xABCD5432`` (little-endian), secure version, two reserved words,
  ``version`` char[32] at absolute offset 48, ``project_name`` char[32] at 80,
  ``time`` char[16] at 112, ``date`` char[16] at 128, ``idf_ver`` char[32] at 144,
  ``app_elf_sha256`` [32] at 176.
"""

from __future__ import annotations

import hashlib
import struct

IMAGE_MAGIC = 0xE9
APP_DESC_MAGIC = 0xABCD5432
APP_DESC_OFFSET = 32
VERSION_OFFSET = 48
VERSION_LENGTH = 32
PROJECT_OFFSET = 80
PROJECT_LENGTH = 32
IDF_VERSION_OFFSET = 144
APP_DESC_SIZE = 256
# Bytes of an upload that must be seen before the version can be read.
HEADER_BYTES_NEEDED = VERSION_OFFSET + VERSION_LENGTH

_ESP32S3_CHIP_ID = 9
_DROM_LOAD_ADDRESS = 0x3C000020
_ENTRY_POINT = 0x40375000


def _fixed_text(text: str, length: int) -> bytes:
    """Encode ``text`` as a NUL-padded C char array of ``length`` bytes (always terminated)."""
    raw = text.encode("utf-8")[: length - 1]
    return raw + b"\x00" * (length - len(raw))


def build_app_desc(
    version: str,
    project: str = "esp-miner",
    idf_version: str = "v5.4",
    build_time: str = "12:00:00",
    build_date: str = "Jan  1 2025",
) -> bytes:
    """Return a 256-byte ``esp_app_desc_t``."""
    elf_sha = hashlib.sha256(f"{project}:{version}".encode()).digest()
    desc = (
        struct.pack("<IIII", APP_DESC_MAGIC, 0, 0, 0)
        + _fixed_text(version, VERSION_LENGTH)
        + _fixed_text(project, PROJECT_LENGTH)
        + _fixed_text(build_time, 16)
        + _fixed_text(build_date, 16)
        + _fixed_text(idf_version, 32)
        + elf_sha
    )
    return desc + b"\x00" * (APP_DESC_SIZE - len(desc))


def build_app_image(version: str, size: int = 64 * 1024, project: str = "esp-miner") -> bytes:
    """Return a valid-looking ESP32-S3 app image of exactly ``size`` bytes carrying ``version``."""
    if size < APP_DESC_OFFSET + APP_DESC_SIZE:
        raise ValueError(f"an app image needs at least {APP_DESC_OFFSET + APP_DESC_SIZE} bytes")
    segment_length = size - APP_DESC_OFFSET
    header = struct.pack(
        "<BBBBI",
        IMAGE_MAGIC,
        1,  # segment count
        0x02,  # flash mode DIO
        0x3F,  # 16 MB flash, 80 MHz
        _ENTRY_POINT,
    )
    extended_header = struct.pack(
        "<B3sHBHH4sB",
        0xEE,  # WP pin: not used
        b"\x00\x00\x00",
        _ESP32S3_CHIP_ID,
        0,
        0,
        0xFFFF,
        b"\x00" * 4,
        0,  # no SHA-256 appended
    )
    segment_header = struct.pack("<II", _DROM_LOAD_ADDRESS, segment_length)
    body = build_app_desc(version, project)
    # Deterministic filler so two builds of the same version are byte-identical.
    filler_length = segment_length - len(body)
    pattern = hashlib.sha256(version.encode()).digest()
    filler = (pattern * (filler_length // len(pattern) + 1))[:filler_length]
    image = header + extended_header + segment_header + body + filler
    assert len(image) == size
    return image


def _c_string(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("utf-8", errors="replace")


def is_app_image(head: bytes) -> bool:
    """True when ``head`` starts like an ESP32 app image (first byte 0xE9)."""
    return len(head) > 0 and head[0] == IMAGE_MAGIC


def read_app_version(head: bytes) -> str | None:
    """Return the ``version`` from an app image's first bytes, or None if they do not carry one."""
    if not is_app_image(head) or len(head) < HEADER_BYTES_NEEDED:
        return None
    (magic,) = struct.unpack_from("<I", head, APP_DESC_OFFSET)
    if magic != APP_DESC_MAGIC:
        return None
    version = _c_string(head[VERSION_OFFSET : VERSION_OFFSET + VERSION_LENGTH])
    return version or None


def read_app_project(head: bytes) -> str | None:
    """Return the ``project_name`` from an app image's first bytes, or None."""
    if read_app_version(head) is None or len(head) < PROJECT_OFFSET + PROJECT_LENGTH:
        return None
    return _c_string(head[PROJECT_OFFSET : PROJECT_OFFSET + PROJECT_LENGTH]) or None


# A www.bin is a SPIFFS image of the web UI; the firmware reads the UI's version from its
# /version.txt at boot. The simulator does not parse SPIFFS: it looks for the file name
# followed by a NUL and the version text, which is how build_www_image lays it out.
WWW_VERSION_MARKER = b"/version.txt\x00"
WWW_VERSION_SEARCH = 64 * 1024


def build_www_image(version: str, size: int = 32 * 1024) -> bytes:
    """A stand-in ``www.bin`` of ``size`` bytes whose web UI version the simulator can read."""
    entry = WWW_VERSION_MARKER + version.encode("utf-8") + b"\n\x00"
    if size < len(entry):
        raise ValueError(f"a www image needs at least {len(entry)} bytes")
    filler = b"\xff" * (size - len(entry))  # erased flash reads as 0xFF
    return entry + filler


def read_www_version(head: bytes) -> str | None:
    """The web UI version in the first bytes of a ``www.bin`` laid out as above, or None."""
    start = head.find(WWW_VERSION_MARKER)
    if start < 0:
        return None
    begin = start + len(WWW_VERSION_MARKER)
    text = head[begin : begin + 64].split(b"\x00", 1)[0].split(b"\n", 1)[0]
    return text.decode("utf-8", "replace").strip() or None
