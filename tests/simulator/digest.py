"""HTTP digest authentication (RFC 7616 / 2617, MD5, qop=auth) as the miners' lighttpd does it.

An unauthenticated request, or one with a wrong password, gets 401 and a fresh challenge:
``WWW-Authenticate: Digest realm="antMiner Configuration", nonce="…", qop="auth"``.
"""

from __future__ import annotations

from collections import deque
import hashlib
import re
import secrets

from aiohttp import web

NONCES_KEPT = 256  # nonces handed out that a client may still answer
PARAMETER = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')

UNAUTHORIZED_PAGE = """<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
         "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>401 Unauthorized</title>
 </head>
 <body>
  <h1>401 Unauthorized</h1>
 </body>
</html>
"""


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def parse_header(value: str) -> dict[str, str]:
    """The parameters of an ``Authorization: Digest …`` header (empty if it is not Digest)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return {}
    parameters: dict[str, str] = {}
    for match in PARAMETER.finditer(rest):
        name, quoted, bare = match.groups()
        parameters[name.lower()] = quoted if quoted is not None else bare
    return parameters


def expected_response(parameters: dict[str, str], method: str, password: str, realm: str) -> str:
    """The ``response`` a client knowing ``password`` computes for these parameters."""
    ha1 = _md5(f"{parameters.get('username', '')}:{realm}:{password}")
    ha2 = _md5(f"{method}:{parameters.get('uri', '')}")
    qop = parameters.get("qop")
    if qop:
        nc, cnonce = parameters.get("nc", ""), parameters.get("cnonce", "")
        return _md5(f"{ha1}:{parameters.get('nonce', '')}:{nc}:{cnonce}:{qop}:{ha2}")
    return _md5(f"{ha1}:{parameters.get('nonce', '')}:{ha2}")


class DigestAuth:
    """One miner's web login: a realm and a user name with its password."""

    def __init__(self, realm: str, username: str, password: str) -> None:
        self.realm = realm
        self.username = username
        self.password = password
        self._nonces: deque[str] = deque(maxlen=NONCES_KEPT)
        self.failures = 0  # requests refused (no or wrong credentials)

    def is_authorized(self, request: web.BaseRequest) -> bool:
        parameters = parse_header(request.headers.get("Authorization", ""))
        if not parameters:
            return False
        if parameters.get("username") != self.username:
            return False
        if parameters.get("realm") != self.realm or parameters.get("nonce") not in self._nonces:
            return False
        if parameters.get("uri") not in (request.raw_path, request.path):
            return False
        qop = parameters.get("qop")
        if qop is not None and qop != "auth":
            return False
        wanted = expected_response(parameters, request.method, self.password, self.realm)
        return secrets.compare_digest(wanted, parameters.get("response", ""))

    def challenge(self) -> web.Response:
        """401 with a fresh nonce."""
        self.failures += 1
        nonce = secrets.token_hex(16)
        self._nonces.append(nonce)
        header = f'Digest realm="{self.realm}", nonce="{nonce}", qop="auth"'
        return web.Response(
            status=401,
            text=UNAUTHORIZED_PAGE,
            content_type="text/html",
            headers={"WWW-Authenticate": header},
        )
