"""Every parser of the RPC and web families, fed arbitrary input: only MinerProtocolError escapes.

Replies are drawn as JSON whose object keys and strings come mostly from the words the family
module itself looks for (its string constants), so the drawn replies reach deep into each parser
instead of stopping at the first missing section. Byte-level decoders get arbitrary bytes.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
from functools import cache
import json
from pathlib import Path
import socket
import struct
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.asic.client import Capabilities
from custom_components.asic.client.errors import (
    MinerAuthError,
    MinerCommandError,
    MinerConnectionError,
    MinerProtocolError,
    MinerUnsupportedError,
)
from custom_components.asic.client.families import (
    antminer,
    avalon,
    axeos,
    braiins,
    luxos,
    whatsminer,
)
from custom_components.asic.client.jsonrepair import loads
from custom_components.asic.client.transport import btminer
from custom_components.asic.client.transport.http import decode_json
from custom_components.asic.client.transport.rpc import BACKEND_DOWN, RpcTransport
from custom_components.asic.client.units import as_int

LOCALHOST = "127.0.0.1"
Draw = Callable[[st.SearchStrategy[Any]], Any]


@cache
def words_of(module: ModuleType) -> tuple[str, ...]:
    """The short string constants of a module's source: the keys and values its parsers expect."""
    tree = ast.parse(Path(str(module.__file__)).read_text())
    found = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 40
    }
    return tuple(sorted(found))


NUMBERISH = st.sampled_from(
    [
        "0",
        "-1",
        "1.5",
        "12,5",
        "1e400",
        "-1e400",
        "nan",
        "inf",
        "NaN",
        "",
        " ",
        "0x1F",
        "3.2T",
        "9" * 40,
    ]
)


def mm_strings(words: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Avalon ``MM ID`` strings: ``Key[value]`` runs, the values numbers, lists or noise."""
    value = st.one_of(
        NUMBERISH,
        st.lists(NUMBERISH, max_size=4).map(" ".join),
        st.text(max_size=8),
    )
    entry = st.tuples(st.sampled_from(words), value).map(lambda kv: f"{kv[0]}[{kv[1]}]")
    return st.lists(st.one_of(entry, st.text(max_size=6)), max_size=8).map(" ".join)


@cache
def _keys(module: ModuleType) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(words_of(module)), st.text(max_size=6))


@cache
def _scalars(module: ModuleType) -> st.SearchStrategy[Any]:
    words = words_of(module)
    strings = st.one_of(st.sampled_from(words), NUMBERISH, st.text(max_size=12))
    if module is avalon:
        strings = st.one_of(strings, mm_strings(words))
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        strings,
    )


@cache
def json_values(module: ModuleType) -> st.SearchStrategy[Any]:
    """Any JSON value, nested a few levels."""
    return st.recursive(
        _scalars(module),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(_keys(module), inner, max_size=6),
        ),
        max_leaves=10,
    )


@cache
def json_objects(module: ModuleType) -> st.SearchStrategy[dict[str, Any]]:
    """An object shaped like a firmware reply: sections that hold a list of flat objects.

    A decoded RPC reply is always an object (the transport refuses anything else).
    """
    keys, scalars = _keys(module), _scalars(module)
    flat = st.dictionaries(keys, scalars, max_size=6)
    section = st.one_of(st.lists(flat, max_size=2), flat, json_values(module))
    return st.dictionaries(keys, section, max_size=4)


@cache
def flat_objects(module: ModuleType) -> st.SearchStrategy[dict[str, Any]]:
    """One item of a section: mostly the module's own keys, scalar values."""
    return st.dictionaries(st.sampled_from(words_of(module)), _scalars(module), max_size=10)


def reply_with(
    module: ModuleType, section: str, body: st.SearchStrategy[Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """A reply that has ``section`` (by default a list of one or two items), so the parser
    gets past its first check and reads the items."""
    content = body if body is not None else st.lists(flat_objects(module), min_size=1, max_size=2)
    return st.tuples(json_objects(module), content).map(lambda pair: {**pair[0], section: pair[1]})


def replies_of(module: ModuleType, sections: dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    """One poll's replies by command, each with its section (``{"summary": "SUMMARY"}``)."""
    return st.fixed_dictionaries(
        {command: reply_with(module, section) for command, section in sections.items()}
    )


@dataclass(frozen=True, slots=True)
class Case:
    """One parser: how to call it with drawn input."""

    name: str
    run: Callable[[Draw], object]


def antminer_cases() -> list[Case]:
    obj, val = json_objects(antminer), json_values(antminer)
    model = st.sampled_from([None, *antminer.MODELS.values()])
    summary, stats, pools = (reply_with(antminer, name) for name in ("SUMMARY", "STATS", "POOLS"))
    info = st.one_of(val, flat_objects(antminer))
    report = st.one_of(
        val, reply_with(antminer, "SUMMARY", st.lists(reply_with(antminer, "status"), max_size=2))
    )

    def whole_poll(draw: Draw) -> object:
        return antminer.build_miner_data(
            antminer.parse_system_info(draw(info)),
            draw(st.sampled_from(["modern", "old"])),
            antminer.parse_summary(draw(summary)),
            antminer.parse_stats(draw(stats), draw(model)),
            antminer.parse_pools(draw(pools)),
            errors=antminer.parse_status_report(draw(report)),
        )

    return [
        Case("antminer.parse_system_info", lambda draw: antminer.parse_system_info(draw(val))),
        Case("antminer.parse_version", lambda draw: antminer.parse_version(draw(obj))),
        Case("antminer.parse_summary", lambda draw: antminer.parse_summary(draw(obj))),
        Case("antminer.parse_stats", lambda draw: antminer.parse_stats(draw(obj), draw(model))),
        Case("antminer.parse_pools", lambda draw: antminer.parse_pools(draw(obj))),
        Case(
            "antminer.parse_status_report", lambda draw: antminer.parse_status_report(draw(report))
        ),
        Case("antminer.mode_of", lambda draw: antminer.mode_of(draw(obj))),
        Case("antminer.build_miner_data", whole_poll),
    ]


def whatsminer_cases() -> list[Case]:
    obj, val = json_objects(whatsminer), json_values(whatsminer)
    model = st.sampled_from([None, *whatsminer.MODELS.values()])

    msg = reply_with(whatsminer, "Msg", flat_objects(whatsminer))
    codes = st.lists(st.one_of(_scalars(whatsminer), flat_objects(whatsminer)), max_size=3)
    error_codes = reply_with(whatsminer, "Msg", reply_with(whatsminer, "error_code", codes))
    sections = st.lists(flat_objects(whatsminer), max_size=2)
    v3_status = st.fixed_dictionaries(
        {"summary": flat_objects(whatsminer), "edevs": sections, "pools": sections}
    )
    v3_device = st.fixed_dictionaries(
        {
            name: flat_objects(whatsminer)
            for name in ("network", "miner", "system", "power", "salt")
        },
        optional={"error-code": codes},
    )

    def whole_poll(draw: Draw) -> object:
        version = whatsminer.parse_version(draw(msg))
        facts = whatsminer.StaticFacts(
            whatsminer.parse_devdetails(draw(reply_with(whatsminer, "DEVDETAILS"))),
            version[0],
            whatsminer.api_version(version[1]),
        )
        return whatsminer.build_miner_data(
            facts,
            whatsminer.parse_summary(draw(reply_with(whatsminer, "SUMMARY"))),
            whatsminer.parse_devs(draw(reply_with(whatsminer, "DEVS")), facts.model),
            whatsminer.parse_pools(draw(reply_with(whatsminer, "POOLS"))),
            whatsminer.parse_status(draw(msg)),
            whatsminer.parse_miner_info(draw(msg)),
            whatsminer.parse_error_codes(draw(error_codes)),
        )

    def v3_poll(draw: Draw) -> object:
        facts, info, _, working = whatsminer.parse_v3_device(draw(st.one_of(val, v3_device)))
        summary, boards, pools = whatsminer.parse_v3_status(
            draw(st.one_of(val, v3_status)),
            draw(model),
            draw(st.lists(st.one_of(st.none(), st.text(max_size=8)))),
        )
        return whatsminer.build_miner_data(
            facts,
            summary,
            boards,
            pools,
            whatsminer.Status(mining=working),
            info,
            whatsminer.parse_v3_errors(draw(st.one_of(val, v3_device))),
        )

    return [
        Case("whatsminer.parse_version", lambda draw: whatsminer.parse_version(draw(obj))),
        Case("whatsminer.parse_devdetails", lambda draw: whatsminer.parse_devdetails(draw(obj))),
        Case("whatsminer.parse_summary", lambda draw: whatsminer.parse_summary(draw(obj))),
        Case("whatsminer.parse_devs", lambda draw: whatsminer.parse_devs(draw(obj), draw(model))),
        Case("whatsminer.parse_pools", lambda draw: whatsminer.parse_pools(draw(obj))),
        Case("whatsminer.parse_status", lambda draw: whatsminer.parse_status(draw(obj))),
        Case("whatsminer.parse_miner_info", lambda draw: whatsminer.parse_miner_info(draw(obj))),
        Case("whatsminer.parse_error_codes", lambda draw: whatsminer.parse_error_codes(draw(obj))),
        Case("whatsminer.build_miner_data", whole_poll),
        Case("whatsminer.parse_v3_device", lambda draw: whatsminer.parse_v3_device(draw(val))),
        Case(
            "whatsminer.parse_v3_status",
            lambda draw: whatsminer.parse_v3_status(draw(st.one_of(val, v3_status)), draw(model)),
        ),
        Case("whatsminer.parse_v3_errors", lambda draw: whatsminer.parse_v3_errors(draw(val))),
        Case("whatsminer.v3 poll", v3_poll),
    ]


def braiins_cases() -> list[Case]:
    obj, val = json_objects(braiins), json_values(braiins)
    model = st.sampled_from([None, *braiins.MODELS])
    capabilities = braiins.capabilities_for(None, None)

    def rest_poll(draw: Draw) -> object:
        details = braiins.parse_details(draw(val))
        return braiins.build_rest_data(
            details,
            braiins.parse_stats(draw(val)),
            braiins.parse_hashboards(draw(val), braiins.find_model(details.model)),
            fans=braiins.parse_cooling(draw(val)),
            power_limit=braiins.parse_power_target(draw(val)),
            pools=braiins.parse_pools(draw(val)),
            errors=braiins.parse_errors(draw(val)),
            fault_light=None,
            capabilities=capabilities,
        )

    def rpc_poll(draw: Draw) -> object:
        replies = draw(
            replies_of(braiins, {command: command.upper() for command in braiins.RPC_POLL})
        )
        return braiins.build_rpc_data(replies, draw(st.none() | st.text(max_size=8)), capabilities)

    return [
        Case("braiins.parse_details", lambda draw: braiins.parse_details(draw(val))),
        Case("braiins.parse_power_range", lambda draw: braiins.parse_power_range(draw(val))),
        Case("braiins.parse_stats", lambda draw: braiins.parse_stats(draw(val))),
        Case(
            "braiins.parse_hashboards",
            lambda draw: braiins.parse_hashboards(draw(val), draw(model)),
        ),
        Case("braiins.parse_cooling", lambda draw: braiins.parse_cooling(draw(val))),
        Case("braiins.parse_power_target", lambda draw: braiins.parse_power_target(draw(val))),
        Case("braiins.parse_pools", lambda draw: braiins.parse_pools(draw(val))),
        Case("braiins.parse_errors", lambda draw: braiins.parse_errors(draw(val))),
        Case("braiins.parse_rpc_version", lambda draw: braiins.parse_rpc_version(draw(obj))),
        Case("braiins.parse_rpc_model", lambda draw: braiins.parse_rpc_model(draw(obj))),
        Case("braiins.build_rest_data", rest_poll),
        Case("braiins.build_rpc_data", rpc_poll),
    ]


def luxos_cases() -> list[Case]:
    obj = json_objects(luxos)

    def whole_poll(draw: Draw) -> object:
        replies = draw(
            replies_of(luxos, {command: command.upper() for command in luxos.POLL_COMMANDS})
        )
        return luxos.build_miner_data(
            luxos.parse_version(draw(obj)), luxos.parse_profiles(draw(obj)), replies
        )

    return [
        Case("luxos.is_luxos_version", lambda draw: luxos.is_luxos_version(draw(obj))),
        Case("luxos.parse_version", lambda draw: luxos.parse_version(draw(obj))),
        Case("luxos.parse_profiles", lambda draw: luxos.parse_profiles(draw(obj))),
        Case("luxos.parse_fans", lambda draw: luxos.parse_fans(draw(obj))),
        Case("luxos.parse_events", lambda draw: luxos.parse_events(draw(obj))),
        Case("luxos.parse_devs", lambda draw: luxos.parse_devs(draw(obj))),
        Case("luxos.build_miner_data", whole_poll),
    ]


def avalon_cases() -> list[Case]:
    obj, val = json_objects(avalon), json_values(avalon)
    mm_text = mm_strings(words_of(avalon))

    mm_item = st.fixed_dictionaries({"MM ID0": mm_text})
    stats = reply_with(
        avalon, "STATS", st.lists(st.one_of(mm_item, flat_objects(avalon)), min_size=1, max_size=2)
    )

    def whole_poll(draw: Draw) -> object:
        version = avalon.parse_version(draw(reply_with(avalon, "VERSION")))
        return avalon.build_miner_data(
            version,
            draw(reply_with(avalon, "SUMMARY")),
            draw(stats),
            draw(reply_with(avalon, "POOLS")),
        )

    def mode(draw: Draw) -> object:
        row = draw(st.sampled_from([None, *avalon.MODELS.values()]))
        return avalon.current_mode(row, avalon.parse_mm(draw(mm_text)))

    return [
        Case("avalon.parse_mm", lambda draw: avalon.parse_mm(draw(st.one_of(mm_text, val)))),
        Case("avalon.mm_of", lambda draw: avalon.mm_of(draw(obj))),
        Case(
            "avalon.parse_errors", lambda draw: avalon.parse_errors(avalon.parse_mm(draw(mm_text)))
        ),
        Case("avalon.current_mode", mode),
        Case("avalon.parse_version", lambda draw: avalon.parse_version(draw(obj))),
        Case("avalon.build_miner_data", whole_poll),
    ]


def axeos_cases() -> list[Case]:
    obj, val = json_objects(axeos), json_values(axeos)
    capabilities = st.sampled_from([None, Capabilities()])

    looking = st.tuples(flat_objects(axeos), obj, _scalars(axeos), _scalars(axeos)).map(
        lambda parts: {**parts[1], **parts[0], "ASICModel": parts[2], "hashRate": parts[3]}
    )

    def info(draw: Draw) -> object:
        payload = draw(looking)
        assert axeos.is_axeos_info(payload)
        return axeos.parse_info(payload, draw(st.none() | flat_objects(axeos)), draw(capabilities))

    return [
        Case("axeos.is_axeos_info", lambda draw: axeos.is_axeos_info(draw(val))),
        Case("axeos.parse_info", lambda draw: axeos.parse_info(draw(obj), draw(st.none() | obj))),
        Case("axeos.parse_info of an AxeOS-looking reply", info),
    ]


CASES = [
    *antminer_cases(),
    *whatsminer_cases(),
    *braiins_cases(),
    *luxos_cases(),
    *avalon_cases(),
    *axeos_cases(),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parser_takes_any_reply(case: Case, data: st.DataObject) -> None:
    with contextlib.suppress(MinerProtocolError):
        case.run(data.draw)


# --- byte-level decoding ------------------------------------------------------------------

RAW = st.one_of(
    st.binary(max_size=64),
    json_values(antminer).map(lambda value: json.dumps(value).encode()),
    json_values(antminer).map(lambda value: json.dumps(value).encode()[:-1]),
)


@settings(max_examples=100, deadline=None)
@given(data=RAW, nul=st.booleans())
def test_rpc_reply_decoding(data: bytes, nul: bool) -> None:
    """Bytes → object or MinerProtocolError; MinerConnectionError only for the two "no answer"
    replies (nothing at all, or the front end's "Socket connect failed")."""
    raw = data + b"\x00" if nul else data
    text = raw.decode("utf-8", "replace").replace("\x00", "").strip()
    try:
        reply = RpcTransport(LOCALHOST, timeout=1).decode(raw, "summary")
    except MinerProtocolError:
        return
    except MinerConnectionError:
        assert not text or text.lower().startswith(BACKEND_DOWN)
        return
    assert isinstance(reply, dict)


@settings(max_examples=100, deadline=None)
@given(data=RAW)
def test_http_and_repairing_json_decoding(data: bytes) -> None:
    with contextlib.suppress(MinerProtocolError):
        decode_json(data, "miner")
    with contextlib.suppress(MinerProtocolError):
        loads(data)


TOKEN = btminer.make_token("admin", "BQ5hoXV9", "1234", "lmNt7wfr")


@settings(max_examples=100, deadline=None)
@given(
    encrypted=st.one_of(
        st.text(max_size=40),
        RAW.map(lambda plain: btminer.aes_encrypt(TOKEN.key, plain)),
    ),
    rest=json_objects(whatsminer),
)
def test_whatsminer_v2_encrypted_reply_decoding(encrypted: str, rest: dict[str, Any]) -> None:
    with contextlib.suppress(MinerProtocolError):
        reply = btminer.decrypt_reply(TOKEN, {**rest, "enc": encrypted}, "miner")
        assert isinstance(reply, dict)


V3_REPLIES = st.one_of(
    RAW,
    st.fixed_dictionaries({"code": st.just(whatsminer.V3_OK), "msg": json_values(whatsminer)}).map(
        lambda reply: json.dumps(reply).encode()
    ),
)


@settings(max_examples=100, deadline=None)
@given(data=V3_REPLIES)
def test_whatsminer_v3_reply_decoding(data: bytes) -> None:
    """A v3 frame's JSON → its ``msg``; a ``code`` other than success is the miner's refusal."""
    try:
        reply = loads(data)
    except MinerProtocolError:
        reply = None
    try:
        whatsminer._v3_msg(data, LOCALHOST, "get.device.info")
    except MinerProtocolError:
        pass
    except (MinerAuthError, MinerCommandError, MinerUnsupportedError):
        assert isinstance(reply, dict)
        assert as_int(reply.get("code")) != whatsminer.V3_OK


async def _exchange_with(reply: bytes) -> bytes:
    """One v3 request to a port that answers ``reply`` as it is (its own length header inside)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        header = await reader.readexactly(4)
        await reader.readexactly(struct.unpack("<I", header)[0])
        writer.write(reply)
        await writer.drain()
        writer.close()

    listener = socket.socket()
    listener.bind((LOCALHOST, 0))
    server = await asyncio.start_server(answer, sock=listener)
    try:
        port: int = listener.getsockname()[1]
        return await btminer.v3_exchange(LOCALHOST, port, {"cmd": "get.device.info"}, 2)
    finally:
        server.close()
        await server.wait_closed()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=RAW, announced=st.one_of(st.none(), st.integers(0, 2**32 - 1)))
def test_whatsminer_v3_frame_decoding(body: bytes, announced: int | None) -> None:
    """A frame whose header lies: too long is a protocol error, cut short a connection error."""
    length = len(body) if announced is None else announced

    # a loop of its own, left unset as the thread's loop: the other tests keep theirs
    loop = asyncio.new_event_loop()
    try:
        frame = loop.run_until_complete(_exchange_with(struct.pack("<I", length) + body))
    except MinerProtocolError:
        assert length > btminer.MAX_V3_FRAME
        return
    except MinerConnectionError:
        assert length > len(body)
        return
    finally:
        loop.close()
    assert frame == body[:length]
