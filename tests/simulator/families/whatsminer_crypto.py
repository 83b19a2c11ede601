"""The cryptography of Whatsminer's APIs: md5-crypt, AES-256-ECB and the v3 token.

API v2 (port 4028) signs privileged commands with two md5-crypt rounds and encrypts them with
AES-256-ECB under sha256 of the first round; API v3 (port 4433) signs each write with the
first 8 base64 characters of sha256(cmd + password + salt + ts).

md5-crypt is written here from the published algorithm (Poul-Henning Kamp's FreeBSD
``crypt-md5.c``, the ``$1$`` scheme), since Python 3.13 no longer ships the ``crypt`` module.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MD5_MAGIC = b"$1$"
# The alphabet md5-crypt writes its 128-bit result in (not RFC 4648 base64).
CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Which digest bytes make up each group of four output characters, in output order.
CRYPT_GROUPS = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))
MAX_SALT = 8
AES_BLOCK = 16


def _crypt_chars(value: int, count: int) -> str:
    """``count`` characters of ``value``, six bits each, least significant first."""
    chars = []
    for _ in range(count):
        chars.append(CRYPT_ALPHABET[value & 0x3F])
        value >>= 6
    return "".join(chars)


def md5_crypt(password: str | bytes, salt: str | bytes) -> str:
    """``$1$<salt>$<22 characters>``, as ``openssl passwd -1 -salt <salt>`` prints it.

    ``salt`` may carry the ``$1$`` prefix and a trailing ``$``; only its first 8 characters
    count.
    """
    secret = password.encode() if isinstance(password, str) else password
    raw_salt = salt.encode() if isinstance(salt, str) else salt
    raw_salt = raw_salt.removeprefix(MD5_MAGIC).split(b"$", 1)[0][:MAX_SALT]

    alternate = hashlib.md5(secret + raw_salt + secret).digest()
    context = hashlib.md5(secret + MD5_MAGIC + raw_salt)
    remaining = len(secret)
    while remaining > 0:
        context.update(alternate[: min(16, remaining)])
        remaining -= 16
    # One byte per bit of the length: a NUL for a set bit, the password's first byte otherwise.
    bits = len(secret)
    while bits:
        context.update(b"\x00" if bits & 1 else secret[:1])
        bits >>= 1
    digest = context.digest()

    # A thousand rounds, to make guessing slow (in 1994).
    for round_number in range(1000):
        step = hashlib.md5()
        step.update(secret if round_number & 1 else digest)
        if round_number % 3:
            step.update(raw_salt)
        if round_number % 7:
            step.update(secret)
        step.update(digest if round_number & 1 else secret)
        digest = step.digest()

    encoded = "".join(
        _crypt_chars(digest[a] << 16 | digest[b] << 8 | digest[c], 4) for a, b, c in CRYPT_GROUPS
    )
    encoded += _crypt_chars(digest[11], 2)
    return f"$1${raw_salt.decode('ascii', 'replace')}${encoded}"


def crypt_body(password: str, salt: str) -> str:
    """The 4th ``$``-field of md5-crypt: what Whatsminer calls a passwd md5 or a sign."""
    return md5_crypt(password, salt).split("$")[3]


def host_passwd_md5(password: str, salt: str) -> str:
    """API v2: the first round, md5-crypt of the admin password with the miner's salt."""
    return crypt_body(password, salt)


def host_sign(passwd_md5: str, token_time: str, newsalt: str) -> str:
    """API v2: the token, md5-crypt of ``passwd_md5 + time`` with the token's new salt."""
    return crypt_body(passwd_md5 + token_time, newsalt)


def aes_key(passwd_md5: str) -> bytes:
    """API v2: the AES-256 key, the raw sha256 digest of ``host_passwd_md5``."""
    return hashlib.sha256(passwd_md5.encode()).digest()


def _cipher(key: bytes) -> Cipher[modes.ECB]:
    return Cipher(algorithms.AES(key), modes.ECB())


def aes_encrypt(key: bytes, plaintext: bytes) -> str:
    """NUL-pad to whole blocks, AES-256-ECB, base64 (one line)."""
    padded = plaintext + b"\x00" * (-len(plaintext) % AES_BLOCK)
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def aes_decrypt(key: bytes, data: bytes) -> bytes:
    """AES-256-ECB of whole blocks, no padding removed; ValueError if not whole blocks."""
    if not data or len(data) % AES_BLOCK:
        raise ValueError("AES-ECB data is not a whole number of 16-byte blocks")
    decryptor = _cipher(key).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def strip_padding(plaintext: bytes) -> bytes:
    """Remove PKCS#7 padding if the tail is valid PKCS#7, else trailing NULs (both are sent)."""
    count = plaintext[-1] if plaintext else 0
    if 1 <= count <= AES_BLOCK and plaintext.endswith(bytes([count]) * count):
        return plaintext[:-count]
    return plaintext.rstrip(b"\x00")


def v3_digest(command: str, password: str, salt: str, ts: int | str) -> bytes:
    """API v3: sha256(cmd + password + salt + ts); its raw bytes also key the AES of params."""
    return hashlib.sha256(f"{command}{password}{salt}{ts}".encode()).digest()


def v3_token(command: str, password: str, salt: str, ts: int | str) -> str:
    """API v3: the first 8 base64 characters of ``v3_digest``."""
    return base64.b64encode(v3_digest(command, password, salt, ts)).decode()[:8]
