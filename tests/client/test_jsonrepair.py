"""The lenient JSON reader: every malformed shape of vendor-protocols.md §2, and nothing but
``MinerProtocolError`` for anything else."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.asic.client import MinerConnectionError, MinerProtocolError
from custom_components.asic.client.jsonrepair import MAX_DEPTH, loads, repair
from custom_components.asic.client.transport.rpc import RpcTransport

REPLY = {
    "STATUS": [{"STATUS": "S", "Code": 11, "Msg": "Summary", "Description": "cgminer 1.0.0"}],
    "SUMMARY": [{"GHS 5s": 110566.89, "Elapsed": 50474}],
    "id": 1,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a":1}\x00', {"a": 1}),
        ('\x00{"a":\x00 1}', {"a": 1}),
        ('{"a":1,}', {"a": 1}),
        ('{"a":[1,2,],}', {"a": [1, 2]}),
        ('{"STATUS":"\nS","Msg":"x\r\ny"}', {"STATUS": "S", "Msg": "xy"}),
        ('[{"a":1}{"b":2}]', [{"a": 1}, {"b": 2}]),
        ('{"x":[,{"a":1}]}', {"x": [{"a": 1}]}),
        ('{"x":[1,,2]}', {"x": [1, 2]}),
        ('{,"a":1}', {"a": 1}),
        ('{"Msg":"x""temp0":0}', {"Msg": "x", "temp0": 0}),
        ('{"Msg":"""temp0":0}', {"Msg": "", "temp0": 0}),
        ('["a""b"]', ["a", "b"]),
        ('{"a":inf,"b":-inf,"c":nan,"d":NaN,"e":Infinity}', dict.fromkeys("abcde")),
        ('{"a":"inf","b":"nan"}', {"a": "inf", "b": "nan"}),
        (',"STATUS":[1],"id":1}', {"STATUS": [1], "id": 1}),
        (',{"a":1}', {"a": 1}),
        ('{"a":[{"x":1},{"y":2},', {"a": [{"x": 1}, {"y": 2}]}),
        ('{"a":[{"x":1},{"y":2}', {"a": [{"x": 1}, {"y": 2}]}),
        ('{"a":[{"x":1},{"y":', {"a": [{"x": 1}]}),
        ('{"a":[1,2,3', {"a": [1, 2]}),
        ('{"a":["xx","yy', {"a": ["xx"]}),
        ('{"a":["xx","y\\', {"a": ["xx"]}),
        ('{"a":[true,null,false]}', {"a": [True, None, False]}),
        ("{}{}", [{}, {}]),
        ('{"a":TRUE}', {"a": True}),
    ],
)
def test_repairs(text: str, expected: Any) -> None:
    assert loads(text) == expected


def test_bytes_decode_with_replacement() -> None:
    assert loads(b'{"a":"\xff"}\x00') == {"a": "\ufffd"}


def test_valid_json_is_untouched() -> None:
    text = json.dumps(REPLY)
    assert loads(text) == REPLY
    assert repair(text) == (json.dumps(REPLY, separators=(",", ":")), False)


def test_a_cut_reply_says_so() -> None:
    text, cut = repair('{"a":[1,')
    assert (json.loads(text), cut) == ({"a": [1]}, True)
    with pytest.raises(MinerProtocolError, match="stops half way"):
        loads('{"a":[1,', allow_cut=False)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00 \x00",
        "Socket connect failed: Connection refused\n",
        '{"a":1',
        '{"a":"b',
        '{"a" "b"}',
        '{"a":}',
        "{1:2}",
        '{"a":1]',
        "]",
        ":",
        '{"a":1}}',
        '{"a"',
        '{"a":[1]{"b":2}}',
        '{"a":"\\x"}',
        "[" * (MAX_DEPTH + 1),
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(MinerProtocolError):
        loads(text, where="miner")


def test_deep_valid_nesting_is_refused_not_crashing() -> None:
    with pytest.raises(MinerProtocolError):
        loads("[" * 100_000 + "]" * 100_000)


@given(st.binary(max_size=400))
@settings(max_examples=400, deadline=None)
def test_arbitrary_bytes_only_raise_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(MinerProtocolError):
        loads(data)


JSONISH = st.text(alphabet='{}[],:"\\ \n\x000123456789.-eEtruefalsnlNIfiy', max_size=200)


@given(JSONISH)
@settings(max_examples=600, deadline=None)
def test_jsonish_text_only_raises_protocol_errors(text: str) -> None:
    with contextlib.suppress(MinerProtocolError):
        loads(text)


WORDS = st.text(alphabet="abcXYZ 019", max_size=5)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=3),
    max_leaves=12,
)


@given(VALUES)
@settings(max_examples=200, deadline=None)
def test_spoiled_json_reads_back_the_same(value: Any) -> None:
    """Trailing commas, ``[,`` and missing commas between list items never change the values."""
    text = json.dumps({"v": [value, value, {"k": value}]}, separators=(",", ":"))
    spoiled = text.replace("]", ",]").replace("[", "[,").replace("},{", "}{") + "\x00"
    assert loads(spoiled) == json.loads(text)


@given(st.binary(max_size=400) | JSONISH.map(str.encode))
@settings(max_examples=400, deadline=None)
def test_rpc_decode_of_arbitrary_bytes(data: bytes) -> None:
    """The RPC transport's own decode: protocol errors, or the two connection-level answers
    (nothing at all, and the backend's "Socket connect failed" text)."""
    rpc = RpcTransport("127.0.0.1", timeout=1)
    try:
        reply = rpc.decode(data, "summary")
    except MinerProtocolError:
        return
    except MinerConnectionError:
        text = data.decode("utf-8", "replace").replace("\x00", "").strip()
        assert not text or text.lower().startswith("socket connect failed")
        return
    assert isinstance(reply, dict)
