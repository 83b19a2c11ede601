"""The simulator's Goldshell family, spoken to over plain sockets and aiohttp (not the project's
client). No recorded real replies exist for Goldshell; shapes follow public captures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.goldshell import encrypt_password
from tests.simulator.families.goldshell_models import GOLDSHELL_MODELS

pytestmark = pytest.mark.usefixtures("socket_enabled")

QUICK = aiohttp.ClientTimeout(total=3)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=0.2) as simulator:
        yield simulator


def url(miner: SimulatedMiner, path: str) -> str:
    return f"http://{miner.host}:{miner.port}{path}"


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), timeout=QUICK)


async def login(miner: SimulatedMiner, password: str = "123456789", cipher: bool = False) -> str:
    sent = encrypt_password(password) if cipher else password
    params = {"username": "admin", "password": sent, "cipher": "true" if cipher else "false"}
    async with session() as http, http.get(url(miner, "/user/login"), params=params) as reply:
        assert reply.status == 200, await reply.text()
        token = (await reply.json())["JWT Token"]
    assert isinstance(token, str)
    return token


async def call(
    miner: SimulatedMiner, method: str, path: str, token: str | None, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        session() as http,
        http.request(method, url(miner, path), headers=headers, json=body) as reply,
    ):
        text = await reply.text()
        try:
            return reply.status, json.loads(text)
        except ValueError:
            return reply.status, text


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


async def test_identity_web_root_status_and_rpc(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="goldshell", model="KD Max"))
    async with session() as http, http.get(url(miner, "/")) as reply:
        assert "cloud-box" in await reply.text()
    status, info = await call(miner, "GET", "/mcb/status", None)  # no login needed
    assert status == 200
    assert list(info) == ["hardware", "model", "mcbversion", "firmware"]
    assert info["model"] == "Goldshell-KDMax"
    assert info["model"].replace("-", " ").upper() == "GOLDSHELL KDMAX"  # pyasic's key
    version = await command(miner, "version")
    assert "BFGMINER" in json.dumps(version).upper()
    assert version["STATUS"][0]["Msg"] == "BFGMiner versions"
    details = await command(miner, "devdetails")
    assert [row["chips-nr"] for row in details["DEVS"]] == [84, 84, 84]


async def test_every_model_starts(sim: Simulator) -> None:
    for model in GOLDSHELL_MODELS:
        miner = await sim.start(MinerSpec(family="goldshell", model=model.name))
        devs = await command(miner, "devs")
        assert len(devs["DEVS"]) == model.boards
        total = sum(row["MHS 20s"] for row in devs["DEVS"])
        assert 0.9 * model.nominal_mhs < total < 1.1 * model.nominal_mhs  # MH/s, any coin


async def test_login_plain_cipher_wrong_and_bad_token(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="goldshell", model="KD Box II"))
    plain = await login(miner)
    assert plain == await login(miner, cipher=True)  # the same token every time, no expiry
    # pyasic's hard-coded cipher text is the default password encrypted the firmware's way
    assert encrypt_password("123456789") == "bbad7537f4c8b6ea31eea0b3d760e257"
    async with (
        session() as http,
        http.get(
            url(miner, "/user/login"), params={"username": "admin", "password": "nope"}
        ) as reply,
    ):
        assert reply.status == 401
        assert "JWT Token" not in await reply.text()
    assert (await call(miner, "GET", "/mcb/setting", None))[0] == 401
    assert (await call(miner, "GET", "/mcb/setting", "forged"))[0] == 401
    status, setting = await call(miner, "GET", "/mcb/setting", plain)
    assert status == 200
    assert setting["name"] == miner.mac


async def test_custom_password(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="goldshell", model="Mini DOGE", password="s3cret"))
    assert miner.credentials() == {"username": "admin", "password": "s3cret"}
    token = await login(miner, "s3cret", cipher=True)
    assert (await call(miner, "GET", "/mcb/pools", token))[0] == 200


async def test_power_plans_and_led_change_state(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="goldshell", model="KD Box II"))
    token = await login(miner)
    _, setting = await call(miner, "GET", "/mcb/setting", token)
    assert [plan["level"] for plan in setting["powerplans"]] == [0, 1, 3]
    full = miner.state.hashrate
    setting["select"] = 1
    assert (await call(miner, "PUT", "/mcb/setting", token, setting)) == (200, {})
    assert miner.state.hashrate < 0.9 * full
    setting["select"] = 2  # level 3: the boards stop
    await call(miner, "PUT", "/mcb/setting", token, setting)
    summary = await command(miner, "summary")
    assert summary["SUMMARY"][0]["MHS 20s"] == 0
    setting |= {"select": 0, "manual": True, "manualPowerplan": "425 MHz 0.4 V 70 RPM 70 RPM"}
    await call(miner, "PUT", "/mcb/setting", token, setting)
    assert 0.4 * full < miner.state.hashrate < 0.6 * full
    setting["ledcontrol"] = True
    await call(miner, "PUT", "/mcb/setting", token, setting)
    assert miner.led_on  # type: ignore[attr-defined]
    assert (await call(miner, "PUT", "/mcb/setting", token, {"select": 9}))[0] == 400


async def test_pools_new_delete_and_rpc_view(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="goldshell", model="KD Box"))
    token = await login(miner)
    _, pools = await call(miner, "GET", "/mcb/pools", token)
    assert [set(pool) for pool in pools] == [
        {"url", "legal", "active", "dragid", "user", "pool-priority", "pass"}
    ] * 2
    for pool in pools:
        body = {"url": pool["url"], "user": pool["user"], "pass": pool["pass"], "dragid": 0}
        assert (await call(miner, "PUT", "/mcb/delpool", token, body))[0] == 200
    for index in range(3):
        body = {"url": f"stratum+tcp://pool{index}.example:3333", "user": "w", "pass": "x"}
        assert (await call(miner, "PUT", "/mcb/newpool", token, body))[0] == 200
    body = {"url": "stratum+tcp://pool4.example:3333", "user": "w", "pass": "x"}
    assert (await call(miner, "PUT", "/mcb/newpool", token, body))[0] == 400  # three slots
    rpc_pools = (await command(miner, "pools"))["POOLS"]
    assert [pool["URL"] for pool in rpc_pools] == [
        f"stratum+tcp://pool{index}.example:3333" for index in range(3)
    ]
    assert rpc_pools[0]["Stratum Active"] is True
    assert (await command(miner, "addpool"))["STATUS"][0]["Code"] == 45


async def test_web_devs_and_restart(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="goldshell", model="KD Max"))
    token = await login(miner)
    _, devs = await call(miner, "GET", "/mcb/cgminer?cgminercmd=devs", token)
    assert devs["status"] == 2
    assert {"hashrate", "av_hashrate", "temp", "fanspeed", "time"} <= set(devs["data"][0])
    assert devs["data"][0]["fanspeed"].count("rpm") == 4
    await asyncio.sleep(0.05)
    assert miner.state.uptime > 0.04
    status, _ = await call(miner, "PUT", "/mcb/restart", token)
    assert status == 200
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.state.uptime < 0.2
    assert miner.state.reboot_count == 1


async def test_firmware_upload(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="goldshell", model="KD Box Pro"))
    token = await login(miner)

    async def upload(name: str) -> int:
        form = aiohttp.FormData()
        form.add_field("file", b"\x00" * 4096, filename=name)
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            session() as http,
            http.post(url(miner, "/mcb/uploadimage"), data=form, headers=headers) as reply,
        ):
            return reply.status

    assert await upload("kd-box-pro.bin") == 400
    miner.set_fault(Fault.FIRMWARE_REJECTED)
    assert await upload("Goldshell-KDBoxPro-2.2.7.cpio") == 400
    miner.clear_fault()
    assert await upload("Goldshell-KDBoxPro-2.2.7.cpio") == 200
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert (await call(miner, "GET", "/mcb/status", None))[1]["firmware"] == "2.2.7"


async def test_faults_on_both_ports(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="goldshell", model="LT6"))
    miner.set_fault(Fault.HTTP_500, path="/mcb/status")
    assert (await call(miner, "GET", "/mcb/status", None))[0] == 500
    miner.clear_fault()
    miner.set_fault(Fault.BACKEND_DOWN, path="summary")
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(b'{"command":"summary"}')
    assert (await asyncio.wait_for(reader.read(), 2)).startswith(b"Socket connect failed")
    writer.close()
    miner.set_fault(Fault.OFFLINE)
    with pytest.raises(OSError):
        await asyncio.open_connection(miner.host, miner.ports["rpc"])
