"""The simulator's Vnish (AnthillOS) family, spoken to over plain aiohttp and raw sockets (not
the project's client): unlock tokens, reads, controls, presets, settings merges, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.vnish import VnishMiner
from tests.simulator.families.vnish_models import VNISH_MODELS

pytestmark = pytest.mark.usefixtures("socket_enabled")

QUICK = aiohttp.ClientTimeout(total=3)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=0.2) as simulator:
        yield simulator


async def start(sim: Simulator, **spec: Any) -> VnishMiner:
    miner = await sim.start(MinerSpec(family="vnish", **spec))
    assert isinstance(miner, VnishMiner)
    return miner


def api(miner: SimulatedMiner, route: str) -> str:
    return f"http://{miner.host}:{miner.port}/api/v1/{route}"


async def call(
    miner: SimulatedMiner,
    method: str,
    route: str,
    *,
    token: str | None = None,
    body: Any = None,
    **kwargs: Any,
) -> tuple[int, Any]:
    headers = {"Authorization": token} if token is not None else {}
    async with (
        aiohttp.ClientSession(timeout=QUICK) as http,
        http.request(method, api(miner, route), headers=headers, json=body, **kwargs) as reply,
    ):
        text = await reply.text()
        try:
            return reply.status, json.loads(text) if text else None
        except ValueError:
            return reply.status, text


async def unlock(miner: SimulatedMiner, password: str = "admin") -> str:
    status, reply = await call(miner, "POST", "unlock", body={"pw": password})
    assert status == 200, reply
    token = reply["token"]
    assert isinstance(token, str)
    return token


async def rpc_raw(miner: SimulatedMiner, command: str) -> bytes:
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(json.dumps({"command": command}).encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    return raw


async def rpc(miner: SimulatedMiner, command: str) -> dict[str, Any]:
    reply = json.loads((await rpc_raw(miner, command)).rstrip(b"\x00"))
    assert isinstance(reply, dict)
    return reply


async def test_identity_web_root_and_rpc(sim: Simulator) -> None:
    miner = await start(sim, model="Antminer S19j Pro")
    async with (
        aiohttp.ClientSession(timeout=QUICK) as http,
        http.get(f"http://{miner.host}:{miner.port}/") as page,
    ):
        assert page.status == 200
        assert "AnthillOS" in await page.text()
    assert await rpc_raw(miner, "version") == b""  # Vnish leaves it unanswered
    assert await rpc_raw(miner, "version+summary") == b""
    stats = await rpc(miner, "stats")
    assert stats["STATS"][0]["Type"] == "Antminer S19j Pro (Vnish 1.2.6)"
    assert "VNISH" in json.dumps(stats).upper()
    status, info = await call(miner, "GET", "info")  # no token needed
    assert status == 200
    assert info["miner"] == "Antminer S19j Pro"
    assert info["fw_version"] == "1.2.6"
    assert info["system"]["network_status"]["mac"] == miner.mac
    assert miner.as_json()["credentials"] == {"password": "admin"}


@pytest.mark.parametrize("model", [model.name for model in VNISH_MODELS])
async def test_every_model_reads(sim: Simulator, model: str) -> None:
    miner = await start(sim, model=model)
    _status, summary = await call(miner, "GET", "summary")
    stats = summary["miner"]
    assert stats["miner_type"].startswith(model)
    assert stats["hr_realtime"] > 0
    assert stats["power_usage"] > 0
    assert len(stats["chains"]) == 3
    summary_rpc = (await rpc(miner, "summary"))["SUMMARY"][0]
    assert summary_rpc["GHS 5s"] > 0


async def test_auth_wrong_password_lockout_and_expiry(sim: Simulator) -> None:
    miner = await start(sim, password="s3cret")
    status, reply = await call(miner, "POST", "unlock", body={"pw": "admin"})
    assert (status, reply) == (403, {"unlock_timeout": None})
    status, _ = await call(miner, "GET", "settings")
    assert status == 401
    status, _ = await call(miner, "GET", "settings", token="not-a-token")
    assert status == 401
    token = await unlock(miner, "s3cret")
    assert (await call(miner, "GET", "settings", token=token))[0] == 200
    assert (await call(miner, "GET", "settings", token=f"Bearer {token}"))[0] == 200
    miner.token_lifetime = 0.05
    short = await unlock(miner, "s3cret")
    await asyncio.sleep(0.1)
    assert (await call(miner, "GET", "autotune/presets", token=short))[0] == 401
    for _ in range(4):
        await call(miner, "POST", "unlock", body={"pw": "wrong"})
    status, reply = await call(miner, "POST", "unlock", body={"pw": "wrong"})
    assert status == 429
    assert reply["unlock_timeout"] > 0
    assert (await call(miner, "POST", "unlock", body={"pw": "s3cret"}))[0] == 429


async def test_mining_controls_change_state(sim: Simulator) -> None:
    miner = await start(sim)
    token = await unlock(miner)
    for action, state, hashing in (
        ("pause", "stopped", False),
        ("resume", "mining", True),
        ("stop", "stopped", False),
        ("start", "mining", True),
    ):
        status, _ = await call(miner, "POST", f"mining/{action}", token=token)
        assert status == 200
        _status, summary = await call(miner, "GET", "summary")
        assert summary["miner"]["miner_status"]["miner_state"] == state
        assert (summary["miner"]["hr_realtime"] > 0) is hashing
        assert ((await rpc(miner, "summary"))["SUMMARY"][0]["GHS 5s"] > 0) is hashing
    assert (await call(miner, "POST", "mining/stop"))[0] == 401
    status, _ = await call(miner, "POST", "mining/restart", token=token)
    assert status == 200
    assert (await call(miner, "GET", "summary"))[1]["miner"]["restart_count"] == 1


async def test_find_miner_toggles_the_led(sim: Simulator) -> None:
    miner = await start(sim)
    assert (await call(miner, "POST", "find-miner"))[1] == {"on": True}
    assert (await call(miner, "GET", "status"))[1]["find_miner"] is True
    assert (await call(miner, "POST", "find-miner"))[1] == {"on": False}
    assert (await call(miner, "POST", "find-miner", body={"on": True}))[1] == {"on": True}


async def test_presets_only_tuned_ones_are_taken(sim: Simulator) -> None:
    miner = await start(sim, model="Antminer S19j Pro")
    token = await unlock(miner)
    status, presets = await call(miner, "GET", "autotune/presets", token=token)
    assert status == 200
    assert isinstance(presets, list)
    tuned = [preset["name"] for preset in presets if preset["status"] == "tuned"]
    untuned = [preset["name"] for preset in presets if preset["status"] == "untuned"]
    assert tuned
    assert untuned
    assert presets[0]["pretty"] == "2100 watt ~ 77 TH"
    before = miner.state.hashrate
    status, reply = await call(
        miner, "POST", "settings", token=token, body={"miner": {"overclock": {"preset": "2100"}}}
    )
    assert (status, reply) == (200, {"reboot_required": False, "restart_required": False})
    _status, settings = await call(miner, "GET", "settings", token=token)
    assert settings["miner"]["overclock"]["preset"] == "2100"
    assert miner.state.hashrate < before * 0.85
    _status, perf = await call(miner, "GET", "perf-summary")
    assert perf["current_preset"]["name"] == "2100"
    # untuned and unknown presets: answered the same, and nothing changes
    for refused in (untuned[0], "1234"):
        body = {"miner": {"overclock": {"preset": refused}}}
        status, reply = await call(miner, "POST", "settings", token=token, body=body)
        assert (status, reply) == (200, {"reboot_required": False, "restart_required": False})
        _status, settings = await call(miner, "GET", "settings", token=token)
        assert settings["miner"]["overclock"]["preset"] == "2100"


async def test_partial_settings_write_keeps_the_rest(sim: Simulator) -> None:
    miner = await start(sim)
    token = await unlock(miner)
    _status, before = await call(miner, "GET", "settings", token=token)
    pools = [
        {"url": "stratum+tcp://pool.example:3333", "user": "me.1", "pass": "x"},
        {"url": "", "user": "", "pass": ""},
        {"url": "", "user": "", "pass": ""},
    ]
    status, _ = await call(miner, "POST", "settings", token=token, body={"miner": {"pools": pools}})
    assert status == 200
    _status, after = await call(miner, "GET", "settings", token=token)
    assert after["miner"]["pools"] == pools
    assert after["miner"]["overclock"] == before["miner"]["overclock"]
    assert after["miner"]["cooling"] == before["miner"]["cooling"]
    assert after["network"] == before["network"]
    reply = await rpc(miner, "pools")
    assert reply["POOLS"][0]["URL"] == "stratum+tcp://pool.example:3333"
    # a null field keeps its value; a fan mode change applies
    body = {"miner": {"cooling": {"mode": {"name": "manual", "param": 55}}, "pools": None}}
    assert (await call(miner, "POST", "settings", token=token, body=body))[0] == 200
    _status, after = await call(miner, "GET", "settings", token=token)
    assert after["miner"]["pools"] == pools
    assert after["miner"]["cooling"]["mode"] == {"name": "manual", "param": 55}
    assert miner.state.fan_percent == 55
    status, _ = await call(
        miner, "POST", "settings", token=token, body={"miner": {"pools": pools[:2]}}
    )
    assert status == 422


async def test_password_change_through_settings(sim: Simulator) -> None:
    miner = await start(sim)
    token = await unlock(miner)
    body = {"password": {"current": "wrong", "pw": "new1"}}
    assert (await call(miner, "POST", "settings", token=token, body=body))[0] == 500
    body = {"password": {"current": "admin", "pw": "new1"}}
    assert (await call(miner, "POST", "settings", token=token, body=body))[0] == 200
    assert (await call(miner, "POST", "unlock", body={"pw": "admin"}))[0] == 403
    await unlock(miner, "new1")


async def test_reboot_goes_down_and_drops_tokens(sim: Simulator) -> None:
    miner = await start(sim)
    token = await unlock(miner)
    await asyncio.sleep(0.05)
    status, reply = await call(miner, "POST", "system/reboot", token=f"Bearer {token}")
    assert (status, reply) == (200, {"after": 3})
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.state.uptime < 0.2
    assert (await call(miner, "GET", "settings", token=token))[0] == 401


async def test_firmware_update(sim: Simulator) -> None:
    miner = await start(sim)
    token = await unlock(miner)

    def form(name: str) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("file", b"\x1f\x8b" + b"\0" * 4096, filename=name)
        data.add_field("keep_settings", "true")
        return data

    status, reply = await call(
        miner, "POST", "firmware/update", token=token, data=form("firmware.bin")
    )
    assert (status, reply) == (500, {"err": "Invalid firmware file"})
    status, reply = await call(
        miner,
        "POST",
        "firmware/update",
        token=token,
        data=form("Antminer-S19jPro-vnish-1.2.7.tar.gz"),
    )
    assert (status, reply) == (200, {"after": 3})
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert (await call(miner, "GET", "info"))[1]["fw_version"] == "1.2.7"
    assert (await rpc(miner, "stats"))["STATS"][0]["Type"].endswith("(Vnish 1.2.7)")


async def test_faults_on_both_ports(sim: Simulator) -> None:
    miner = await start(sim)
    miner.set_fault(Fault.HTTP_500, path="/api/v1/summary")
    assert (await call(miner, "GET", "summary"))[0] == 500
    assert (await call(miner, "GET", "info"))[0] == 200
    miner.clear_fault()
    miner.set_fault(Fault.BACKEND_DOWN, path="summary")
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(b'{"command":"summary"}')
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert raw.startswith(b"Socket connect failed")
    miner.clear_fault()
    miner.set_fault(Fault.OFFLINE)
    with pytest.raises(aiohttp.ClientConnectionError):
        await call(miner, "GET", "info")
