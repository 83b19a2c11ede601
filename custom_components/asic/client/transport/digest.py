"""HTTP digest authentication (RFC 2617: MD5 or MD5-sess, qop ``auth`` or none) for the CGI
of stock Antminers and the firmwares that copy it.

The challenge of the first 401 is kept and answered on every later request with the next
nonce count, so a logged-in client pays one 401 in all rather than one per request. A 401
that says ``stale=true`` (or any 401 to a reused nonce) is answered once with the new
challenge; a 401 to a freshly answered challenge means the credentials are wrong.
The password is kept only inside this object and appears in no repr, log line or error.
"""

from __future__ import annotations

import hashlib
import re
import secrets

_PARAMETER = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def parse_challenge(header: str | None) -> dict[str, str] | None:
    """The parameters of a ``WWW-Authenticate: Digest …`` header; None if it is not Digest."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    parameters: dict[str, str] = {}
    for match in _PARAMETER.finditer(rest):
        name, quoted, bare = match.groups()
        value = quoted if quoted is not None else bare
        parameters[name.lower()] = value.replace('\\"', '"').replace("\\\\", "\\")
    return parameters if "nonce" in parameters else None


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class DigestAuth:
    """One login, answering a server's digest challenges."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._password = password
        self._challenge: dict[str, str] | None = None
        self._nonce_count = 0

    def __repr__(self) -> str:
        return f"DigestAuth(username={self.username!r}, password=***)"

    @property
    def has_challenge(self) -> bool:
        return self._challenge is not None

    def accept(self, header: str | None) -> tuple[bool, bool]:
        """Take a 401's challenge: (whether it is one we can answer, whether it says stale)."""
        challenge = parse_challenge(header)
        if challenge is None:
            return False, False
        algorithm = challenge.get("algorithm", "MD5").upper()
        qops = {item.strip() for item in challenge.get("qop", "").split(",") if item.strip()}
        if algorithm not in ("MD5", "MD5-SESS") or (qops and "auth" not in qops):
            return False, False
        self._challenge = challenge
        self._nonce_count = 0
        return True, challenge.get("stale", "").lower() == "true"

    def forget(self) -> None:
        self._challenge = None

    def header(self, method: str, uri: str) -> str | None:
        """The ``Authorization`` header for the next request; None before any challenge."""
        challenge = self._challenge
        if challenge is None:
            return None
        self._nonce_count += 1
        realm, nonce = challenge.get("realm", ""), challenge["nonce"]
        cnonce = secrets.token_hex(8)
        nc = f"{self._nonce_count:08x}"
        ha1 = _md5(f"{self.username}:{realm}:{self._password}")
        if challenge.get("algorithm", "MD5").upper() == "MD5-SESS":
            ha1 = _md5(f"{ha1}:{nonce}:{cnonce}")
        ha2 = _md5(f"{method}:{uri}")
        parts = [
            f'username="{_quote(self.username)}"',
            f'realm="{_quote(realm)}"',
            f'nonce="{_quote(nonce)}"',
            f'uri="{_quote(uri)}"',
        ]
        if "qop" in challenge:
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        parts.append(f'response="{response}"')
        if "opaque" in challenge:
            parts.append(f'opaque="{_quote(challenge["opaque"])}"')
        if "algorithm" in challenge:
            parts.append(f"algorithm={challenge['algorithm']}")
        return "Digest " + ", ".join(parts)
