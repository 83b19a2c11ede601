"""MicroBT BTMiner API helpers (vendor-protocols.md §3): md5-crypt, AES-256-ECB, tokens, v3 frames.

API v2 (TCP 4028) privileged commands:

1. ``get_token`` answers ``Msg{time, salt, newsalt}``;
2. ``host_passwd_md5`` = the 4th ``$``-field of md5-crypt(password, ``$1$<salt>$``);
3. ``host_sign`` = the 4th field of md5-crypt(host_passwd_md5 + time, ``$1$<newsalt>$``);
4. the command ``{"cmd", …, "token": host_sign}`` NUL-padded to 16 bytes, AES-256-ECB with the
   raw sha256 digest of ``host_passwd_md5`` as key, base64, sent as ``{"enc": 1, "data": …}``;
5. the reply ``{"enc": "<b64>"}`` decrypts with the same key.

md5-crypt is written here from the published FreeBSD algorithm (``crypt`` left the standard
library with Python 3.13). AES comes from ``cryptography``, which Home Assistant ships.

API v3 (TCP 4433): a request is a 4-byte little-endian length and that many bytes of JSON; the
reply is framed the same way. Writes carry ``token`` = the first 8 characters of
base64(sha256(cmd + password + salt + ts)).

Nothing here logs, and no repr shows a password, a key or a token.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from dataclasses import dataclass, field
import hashlib
import json
import struct
import time
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import MinerConnectionError, MinerProtocolError
from ..jsonrepair import loads

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MAGIC = b"$1$"
BLOCK = 16
TOKEN_LIFETIME = 25 * 60.0  # s; the firmware keeps a token 30 minutes, renewed before that
MAX_V3_FRAME = 1024 * 1024


def _to64(value: int, count: int) -> str:
    out = []
    for _ in range(count):
        out.append(_ITOA64[value & 0x3F])
        value >>= 6
    return "".join(out)


def md5_crypt(password: str, salt: str) -> str:
    """``$1$<salt>$<hash>`` as FreeBSD's crypt(3) computes it (salt up to 8 characters)."""
    secret = password.encode()
    salt_bytes = salt.removeprefix("$1$").split("$", 1)[0].encode()[:8]
    context = hashlib.md5(secret + _MAGIC + salt_bytes, usedforsecurity=False)
    alternate = hashlib.md5(secret + salt_bytes + secret, usedforsecurity=False).digest()
    remaining = len(secret)
    while remaining > 0:
        context.update(alternate[: min(BLOCK, remaining)])
        remaining -= BLOCK
    bits = len(secret)
    while bits:
        context.update(b"\x00" if bits & 1 else secret[:1])
        bits >>= 1
    final = context.digest()
    for round_number in range(1000):
        step = hashlib.md5(usedforsecurity=False)
        step.update(secret if round_number & 1 else final)
        if round_number % 3:
            step.update(salt_bytes)
        if round_number % 7:
            step.update(secret)
        step.update(final if round_number & 1 else secret)
        final = step.digest()
    encoded = "".join(
        _to64((final[a] << 16) | (final[b] << 8) | final[c], 4)
        for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))
    )
    encoded += _to64(final[11], 2)
    return f"$1${salt_bytes.decode()}${encoded}"


def crypt_field(password: str, salt: str) -> str:
    """The 4th ``$``-field of md5-crypt: the hash alone."""
    return md5_crypt(password, salt).split("$")[3]


@dataclass(frozen=True, slots=True)
class Token:
    """A v2 session: the command signature and the AES key, and when it was issued."""

    sign: str = field(repr=False)
    key: bytes = field(repr=False)
    issued: float = field(default_factory=time.monotonic)

    def fresh(self, lifetime: float = TOKEN_LIFETIME) -> bool:
        return time.monotonic() - self.issued < lifetime


def make_token(password: str, salt: str, token_time: str, newsalt: str) -> Token:
    """The signature and key of a ``get_token`` reply for ``password``."""
    passwd_md5 = crypt_field(password, salt)
    sign = crypt_field(passwd_md5 + token_time, newsalt)
    return Token(sign=sign, key=hashlib.sha256(passwd_md5.encode()).digest())


def aes_encrypt(key: bytes, plain: bytes) -> str:
    """NUL-pad to 16 bytes, AES-256-ECB, base64."""
    padded = plain + b"\x00" * (-len(plain) % BLOCK)
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 (the protocol's)
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def aes_decrypt(key: bytes, data: str) -> bytes:
    """base64 → AES-256-ECB → the plain bytes with NUL and PKCS#7 padding removed."""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as err:
        raise MinerProtocolError("The miner's encrypted reply is not base64") from err
    if not raw or len(raw) % BLOCK:
        raise MinerProtocolError("The miner's encrypted reply is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305
    plain = decryptor.update(raw) + decryptor.finalize()
    if plain and 0 < plain[-1] <= BLOCK and plain.endswith(bytes([plain[-1]]) * plain[-1]):
        plain = plain[: -plain[-1]]
    return plain.rstrip(b"\x00")


def encrypted_request(token: Token, command: str, params: dict[str, Any]) -> dict[str, Any]:
    """The ``{"enc": 1, "data": …}`` request of one privileged command."""
    body = json.dumps({"cmd": command, **params, "token": token.sign}).encode()
    return {"enc": 1, "data": aes_encrypt(token.key, body)}


def decrypt_reply(token: Token, reply: dict[str, Any], where: str) -> dict[str, Any]:
    """The plain reply inside ``{"enc": "<b64>"}``; a plain reply is returned as it is."""
    data = reply.get("enc")
    if not isinstance(data, str):
        return reply
    plain = aes_decrypt(token.key, data).decode("utf-8", "replace")
    decoded = loads(plain, where=where)
    if not isinstance(decoded, dict):
        raise MinerProtocolError(f"{where} sent an encrypted reply that is not an object")
    return decoded


# --- API v3 ---------------------------------------------------------------------------------


def v3_digest(command: str, password: str, salt: str, ts: int) -> bytes:
    """sha256(cmd + password + salt + ts): its base64 signs a write, its bytes key the AES."""
    return hashlib.sha256(f"{command}{password}{salt}{ts}".encode()).digest()


def v3_token(command: str, password: str, salt: str, ts: int) -> str:
    return base64.b64encode(v3_digest(command, password, salt, ts)).decode()[:8]


def v3_frame(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    return struct.pack("<I", len(body)) + body


async def v3_exchange(host: str, port: int, payload: dict[str, Any], timeout: float) -> bytes:
    """One framed request on the v3 port; the reply frame's JSON bytes."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(v3_frame(payload))
                await writer.drain()
                header = await reader.readexactly(4)
                (length,) = struct.unpack("<I", header)
                if length > MAX_V3_FRAME:
                    raise MinerProtocolError(f"{host} announced a v3 reply of {length} bytes")
                return await reader.readexactly(length)
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except TimeoutError as err:
        raise MinerConnectionError(f"{host} did not answer on its API v3 port {port}") from err
    except asyncio.IncompleteReadError as err:
        raise MinerConnectionError(f"{host} closed its API v3 port {port} mid-reply") from err
    except OSError as err:
        raise MinerConnectionError(f"Cannot reach the API v3 port {port} of {host}: {err}") from err
