"""Digest authentication of the HTTP transport: against the simulated Antminer's lighttpd-style
login, and against small servers for stale nonces and the RFC 2069 / MD5-sess variants."""

from __future__ import annotations

import hashlib
import logging

import aiohttp
from aiohttp import web
import pytest

from custom_components.asic.client import MinerAuthError
from custom_components.asic.client.transport.digest import DigestAuth, parse_challenge
from custom_components.asic.client.transport.http import HttpTransport
from tests.simulator import MinerSpec, SimulatedMiner, Simulator
from tests.simulator.digest import parse_header
from tests.simulator.families.antminer import AntminerMiner as SimulatedAntminer

from .conftest import RequestLog, ServeFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")

SECRET = "hunter2-secret"
SYSTEM_INFO = "/cgi-bin/get_system_info.cgi"


@pytest.fixture
async def s21(simulator: Simulator) -> SimulatedAntminer:
    miner = await simulator.start(
        MinerSpec(family="antminer", model="Antminer S21", username="root", password=SECRET)
    )
    assert isinstance(miner, SimulatedAntminer)
    return miner


def web_of(
    miner: SimulatedMiner, session: aiohttp.ClientSession, password: str = SECRET
) -> HttpTransport:
    auth = DigestAuth("root", password)
    return HttpTransport(session, miner.host, miner.ports["web"], timeout=5, auth=auth)


async def test_login_pays_one_401_then_reuses_the_nonce(
    s21: SimulatedAntminer, session: aiohttp.ClientSession, request_log: RequestLog
) -> None:
    http = web_of(s21, session)
    for _ in range(5):
        info = await http.get_json(SYSTEM_INFO)
        assert info["minertype"] == "Antminer S21"
    assert s21.auth.failures == 1  # only the first request was challenged
    assert request_log.count(SYSTEM_INFO) == 6


async def test_wrong_password_is_an_auth_error_without_the_password(
    s21: SimulatedAntminer,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    http = web_of(s21, session, password="wrong-password")
    with pytest.raises(MinerAuthError) as caught:
        await http.get_json(SYSTEM_INFO)
    assert s21.auth.failures == 2  # the first challenge, then the refused answer
    assert "wrong-password" not in str(caught.value)
    assert "wrong-password" not in caplog.text
    assert "wrong-password" not in repr(http._auth)
    assert SECRET not in caplog.text


async def test_without_auth_a_401_is_returned_as_is(
    s21: SimulatedAntminer, session: aiohttp.ClientSession
) -> None:
    http = HttpTransport(session, s21.host, s21.ports["web"], timeout=5)
    status, headers, _ = await http.request("GET", "/")
    assert status == 401
    assert parse_challenge(headers["WWW-Authenticate"]) is not None


async def test_a_post_is_answered_too(
    s21: SimulatedAntminer, session: aiohttp.ClientSession
) -> None:
    http = web_of(s21, session)
    await http.send("POST", "/cgi-bin/blink.cgi", {"blink": "true"})
    assert s21.state.identify_active


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class ChallengingServer:
    """A digest login that expires nonces on demand, with the options under test."""

    def __init__(self, *, qop: str | None = "auth", algorithm: str | None = None) -> None:
        self.qop = qop
        self.algorithm = algorithm
        self.nonce = "n0"
        self.valid = {"n0"}
        self.challenges = 0
        self.seen: list[dict[str, str]] = []

    def challenge(self, *, stale: bool = False) -> web.Response:
        self.challenges += 1
        parts = ['realm="r"', f'nonce="{self.nonce}"', 'opaque="op"']
        if self.qop:
            parts.append(f'qop="{self.qop}"')
        if self.algorithm:
            parts.append(f"algorithm={self.algorithm}")
        if stale:
            parts.append("stale=true")
        return web.Response(status=401, headers={"WWW-Authenticate": "Digest " + ", ".join(parts)})

    def expire(self) -> None:
        self.valid.clear()
        self.nonce = f"n{self.challenges + 1}"
        self.valid.add(self.nonce)

    async def handle(self, request: web.Request) -> web.Response:
        parameters = parse_header(request.headers.get("Authorization", ""))
        if not parameters:
            return self.challenge()
        self.seen.append(parameters)
        if parameters["nonce"] not in self.valid:
            return self.challenge(stale=True)
        ha1 = _md5(f"root:r:{SECRET}")
        if (self.algorithm or "").upper() == "MD5-SESS":
            ha1 = _md5(f"{ha1}:{parameters['nonce']}:{parameters['cnonce']}")
        ha2 = _md5(f"{request.method}:{parameters['uri']}")
        if self.qop:
            wanted = _md5(
                f"{ha1}:{parameters['nonce']}:{parameters['nc']}:{parameters['cnonce']}:auth:{ha2}"
            )
        else:
            wanted = _md5(f"{ha1}:{parameters['nonce']}:{ha2}")
        if parameters.get("response") != wanted or parameters.get("opaque") != "op":
            return self.challenge()
        return web.json_response({"ok": True})


async def test_stale_nonce_is_answered_again(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    server = ChallengingServer()
    port = await serve({"/x": server.handle})
    http = HttpTransport(session, "127.0.0.1", port, timeout=5, auth=DigestAuth("root", SECRET))
    assert await http.get_json("/x") == {"ok": True}
    assert await http.get_json("/x") == {"ok": True}
    assert [seen["nc"] for seen in server.seen] == ["00000001", "00000002"]
    server.expire()
    assert await http.get_json("/x") == {"ok": True}  # stale, answered with the new nonce
    assert server.seen[-1]["nc"] == "00000001"
    assert server.challenges == 2


async def test_a_server_that_keeps_saying_stale_ends_as_an_auth_error(
    serve: ServeFactory, session: aiohttp.ClientSession
) -> None:
    server = ChallengingServer()

    async def always_stale(request: web.Request) -> web.Response:
        server.expire()
        return await server.handle(request)

    port = await serve({"/x": always_stale})
    http = HttpTransport(session, "127.0.0.1", port, timeout=5, auth=DigestAuth("root", SECRET))
    with pytest.raises(MinerAuthError):
        await http.get_json("/x")
    assert server.challenges == 3  # no challenge, stale, stale again: then it gives up


@pytest.mark.parametrize(
    ("qop", "algorithm"), [(None, None), ("auth", "MD5-sess"), ("auth", "MD5")]
)
async def test_variants(
    serve: ServeFactory, session: aiohttp.ClientSession, qop: str | None, algorithm: str | None
) -> None:
    server = ChallengingServer(qop=qop, algorithm=algorithm)
    port = await serve({"/x": server.handle})
    http = HttpTransport(session, "127.0.0.1", port, timeout=5, auth=DigestAuth("root", SECRET))
    assert await http.get_json("/x") == {"ok": True}


@pytest.mark.parametrize(
    "header",
    [
        'Digest realm="r", nonce="n", qop="auth-int"',
        'Digest realm="r", nonce="n", algorithm=SHA-256',
        'Basic realm="r"',
        None,
    ],
)
async def test_challenges_it_cannot_answer_are_auth_errors(
    serve: ServeFactory, session: aiohttp.ClientSession, header: str | None
) -> None:
    async def handle(_request: web.Request) -> web.Response:
        headers = {"WWW-Authenticate": header} if header else {}
        return web.Response(status=401, headers=headers)

    port = await serve({"/x": handle})
    http = HttpTransport(session, "127.0.0.1", port, timeout=5, auth=DigestAuth("root", SECRET))
    with pytest.raises(MinerAuthError):
        await http.get_json("/x")


def test_challenge_parsing_and_header() -> None:
    assert parse_challenge(None) is None
    assert parse_challenge('Digest realm="r"') is None  # no nonce
    assert parse_challenge('Digest realm="a \\"quoted\\" realm", nonce=abc') == {
        "realm": 'a "quoted" realm',
        "nonce": "abc",
    }
    auth = DigestAuth('we"ird', SECRET)
    assert auth.header("GET", "/") is None
    assert auth.accept('Digest realm="r", nonce="n", qop="auth,auth-int"') == (True, False)
    assert auth.has_challenge
    header = auth.header("GET", "/x?y=1")
    assert header is not None
    assert 'username="we\\"ird"' in header
    assert 'uri="/x?y=1"' in header
    assert SECRET not in header
    assert SECRET not in repr(auth)
    auth.forget()
    assert not auth.has_challenge
