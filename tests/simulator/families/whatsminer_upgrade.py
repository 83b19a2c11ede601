"""API v2 ``upgrade_firmware``: the file that follows the miner's ``ready``.

The privileged command is answered ``Msg: "ready"``; the client then sends the image's size as
4 little-endian bytes and the image itself. Clients send it on the same connection or, as pyasic
does, on a new one right after; the simulator takes both.

Image format (assumed, see the README): a gzip-compressed tarball whose gzip header keeps the
original file name (the ``FNAME`` field, as ``gzip``/``tar czf`` write it), and that name carries
the build the miner comes back with, e.g. ``whatsminer-20240610.12.REL.tar`` → ``20240610.12.REL``.
"""

from __future__ import annotations

import asyncio
import re
import struct

SIZE_PREFIX = struct.Struct("<I")
MAX_IMAGE_BYTES = 256 * 1024 * 1024
READ_TIMEOUT = 30.0
GZIP_MAGIC = b"\x1f\x8b"
GZIP_DEFLATE = 8
GZIP_FEXTRA = 0x04
GZIP_FNAME = 0x08
GZIP_FIXED_HEADER = 10
BUILD = re.compile(r"(20\d{6}\.\d{2}\.(?:REL|Rel))")


class BadImageError(ValueError):
    """The bytes received are no firmware image this miner takes."""


async def read_image(head: bytes, reader: asyncio.StreamReader) -> bytes:
    """The image after the size prefix; ``head`` is what was already read of the prefix/image."""
    async with asyncio.timeout(READ_TIMEOUT):
        data = head
        while len(data) < SIZE_PREFIX.size:
            chunk = await reader.read(SIZE_PREFIX.size - len(data))
            if not chunk:
                raise BadImageError("no size")
            data += chunk
        (size,) = SIZE_PREFIX.unpack_from(data)
        if size == 0 or size > MAX_IMAGE_BYTES:
            raise BadImageError("size out of range")
        image = data[SIZE_PREFIX.size :]
        if len(image) < size:
            image += await reader.readexactly(size - len(image))
        return image[:size]


def build_of(image: bytes) -> str:
    """The firmware build named in the gzip header; BadImageError when there is none."""
    if len(image) < GZIP_FIXED_HEADER or image[:2] != GZIP_MAGIC or image[2] != GZIP_DEFLATE:
        raise BadImageError("not gzip")
    flags = image[3]
    if not flags & GZIP_FNAME:
        raise BadImageError("no file name")
    position = GZIP_FIXED_HEADER
    if flags & GZIP_FEXTRA:
        if len(image) < position + 2:
            raise BadImageError("truncated header")
        position += 2 + int.from_bytes(image[position : position + 2], "little")
    end = image.find(b"\x00", position)
    if end < 0:
        raise BadImageError("truncated header")
    match = BUILD.search(image[position:end].decode("latin-1"))
    if match is None:
        raise BadImageError("no build in the file name")
    return match.group(1)
