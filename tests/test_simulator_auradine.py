"""The simulator's Auradine family, spoken to over plain aiohttp and sockets (not the project's
client). No recorded real replies are shipped for Auradine; shapes follow pyasic and bitcap-ipr."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.auradine import AuradineMiner
from tests.simulator.families.auradine_models import AURADINE_MODELS

pytestmark = pytest.mark.usefixtures("socket_enabled")

QUICK = aiohttp.ClientTimeout(total=3)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=0.2) as simulator:
        yield simulator


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), timeout=QUICK)


async def api(
    miner: SimulatedMiner, path: str, token: str | None = None, body: Any = None
) -> tuple[int, dict[str, Any]]:
    url = f"http://{miner.host}:{miner.ports['api']}/{path}"
    headers = {"Token": token} if token else {}
    method = "GET" if body is None else "POST"
    async with session() as http, http.request(method, url, headers=headers, json=body) as reply:
        return reply.status, json.loads(await reply.text())


async def login(miner: SimulatedMiner, password: str = "admin") -> str:
    status, reply = await api(
        miner, "token", body={"command": "token", "user": "admin", "password": password}
    )
    assert status == 200, reply
    token = reply["Token"][0]["Token"]
    assert isinstance(token, str)
    return token


async def command(miner: SimulatedMiner, name: str) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(json.dumps({"command": name}).encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert raw.endswith(b"\x00")
    reply = json.loads(raw[:-1])
    assert isinstance(reply, dict)
    return reply


async def test_identity(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="auradine", model="AT1500"))
    assert set(miner.ports) == {"web", "api", "rpc"}
    async with session() as http, http.get(f"http://{miner.host}:{miner.port}/") as reply:
        assert "Miner UI" in await reply.text()
    version = await command(miner, "version")
    assert "GCMINER" in json.dumps(version).upper()
    details = await command(miner, "devdetails")
    assert details["DEVDETAILS"][0]["Model"] == "AT1500"
    token = await login(miner)
    _, report = await api(miner, "ipreport", token)
    assert report["IPReport"][0]["mac"].upper() == miner.mac
    assert len(report["IPReport"][0]["HBSerialNo"]) == 3


async def test_every_model_reads(sim: Simulator) -> None:
    for model in AURADINE_MODELS:
        miner = await sim.start(MinerSpec(family="auradine", model=model.name))
        summary = (await command(miner, "summary"))["SUMMARY"][0]
        ths = summary["MHS 5s"] / 1e6
        assert 0.9 * model.nominal_ths < ths < 1.1 * model.nominal_ths
        devs = (await command(miner, "devs"))["DEVS"]
        assert [dev["ID"] for dev in devs] == [1, 2, 3]
        token = await login(miner)
        _, fans = await api(miner, "fan", token)
        assert len(fans["Fan"]) == model.fans


async def test_summary_and_pool_keys(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="auradine", model="AT2860"))
    summary = (await command(miner, "summary"))["SUMMARY"][0]
    for key in ("Elapsed", "MHS av", "MHS 5s", "GMHS 5s", "Wattage", "JTHS 1m", "Best Share"):
        assert key in summary
    pool = (await command(miner, "pools"))["POOLS"][0]
    for key in ("POOL", "URL", "User", "Pass", "Stratum Active", "Protocol", "Work Difficulty"):
        assert key in pool


async def test_auth_wrong_password_bad_and_expired_token(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="auradine", model="AT1500", password="p4ss"))
    status, reply = await api(
        miner, "token", body={"command": "token", "user": "admin", "password": "admin"}
    )
    assert status == 401
    assert reply["STATUS"][0]["STATUS"] == "E"
    assert (await api(miner, "summary"))[0] == 401
    assert (await api(miner, "summary", "forged"))[0] == 401
    token = await login(miner, "p4ss")
    assert (await api(miner, "summary", token))[0] == 200
    assert isinstance(miner, AuradineMiner)
    miner.token_lifetime = 0.05
    await asyncio.sleep(0.1)
    status, reply = await api(miner, "summary", token)
    assert status == 401
    assert reply["STATUS"][0]["STATUS"] == "E"


async def test_modes_power_limit_and_sleep(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="auradine", model="AT1500"))
    token = await login(miner)
    normal = miner.state.hashrate
    _, reply = await api(miner, "mode", token, {"command": "mode", "mode": "eco"})
    assert reply["Mode"][0]["Mode"] == "eco"
    assert miner.state.hashrate < 0.9 * normal
    assert miner.state.power < 0.75 * 3240
    await api(miner, "mode", token, {"command": "mode", "mode": "turbo"})
    assert miner.state.hashrate > 1.05 * normal
    body = {"command": "mode", "mode": "custom", "tune": "power", "power": 2000}
    _, reply = await api(miner, "mode", token, body)
    assert reply["Mode"][0]["Power"] == 2000
    assert 1900 < miner.state.power < 2100
    status, _ = await api(miner, "mode", token, body | {"power": 99999})
    assert status == 400
    await api(miner, "mode", token, {"command": "mode", "sleep": "on"})
    assert (await command(miner, "summary"))["SUMMARY"][0]["MHS 5s"] == 0
    _, mode = await api(miner, "mode", token)
    assert mode["Mode"][0]["Sleep"] == "on"
    await api(miner, "mode", token, {"command": "mode", "sleep": "off"})
    assert miner.state.hashrate > 0


async def test_led_pools_and_restart(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="auradine", model="AI3680"))
    token = await login(miner)
    _, led = await api(miner, "led", token, {"command": "led", "code": 3})
    assert led["LED"][0]["Code"] == 3
    pools = [
        {"url": f"stratum+tcp://p{index}.example:3333", "user": "u", "pass": "x"}
        for index in range(3)
    ]
    _, reply = await api(miner, "updatepools", token, {"command": "updatepools", "pools": pools})
    assert reply["UPDATEPOOLS"][0]["msg"]
    rpc_pools = (await command(miner, "pools"))["POOLS"]
    assert [pool["URL"] for pool in rpc_pools] == [pool["url"] for pool in pools]
    assert (await command(miner, "addpool"))["STATUS"][0]["Code"] == 45
    status, _ = await api(miner, "restart", token, {"command": "restart"})
    assert status == 200
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.state.reboot_count == 1
    assert (await api(miner, "led", token))[0] == 401  # tokens do not survive a reboot
    token = await login(miner)
    assert (await api(miner, "led", token))[1]["LED"][0]["Code"] == 2


async def test_firmware_upgrade(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="auradine", model="AT2880"))
    token = await login(miner)
    body = {"command": "firmware-upgrade", "url": "http://files.example/readme.txt"}
    status, reply = await api(miner, "firmware-upgrade", token, body)
    assert status == 400
    assert reply["STATUS"][0]["STATUS"] == "E"
    body = {"command": "firmware-upgrade", "url": "http://files.example/FluxOS_v2025.4.1.swu"}
    _, reply = await api(miner, "firmware-upgrade", token, body)
    assert reply["STATUS"][0]["STATUS"] == "S"
    await miner.wait_until_down()
    await miner.wait_until_up()
    token = await login(miner)
    _, report = await api(miner, "ipreport", token)
    assert report["IPReport"][0]["version"] == "FluxOS_v2025.4.1"
    await api(
        miner, "firmware-upgrade", token, {"command": "firmware-upgrade", "version": "latest"}
    )
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.as_json()["firmware"] == "FluxOS_v2025.3.2"


async def test_faults_on_each_port(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="auradine", model="AT1500"))
    miner.set_fault(Fault.HTTP_500, path="/token")
    url = f"http://{miner.host}:{miner.ports['api']}/token"
    async with session() as http, http.post(url, json={}) as reply:
        assert reply.status == 500
    miner.clear_fault()
    miner.set_fault(Fault.TRAILING_COMMA, path="summary")
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(b'{"command":"summary"}')
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert b",}" in raw
