"""The simulator's IceRiver family, spoken to with plain aiohttp form posts (not the project's
client). No recorded real replies are shipped for IceRiver; the shape checks follow a public
capture of a KS5L's ``userpanel`` reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator
from tests.simulator.families.iceriver import IceRiverMiner
from tests.simulator.families.iceriver_models import ICERIVER_MODELS

pytestmark = pytest.mark.usefixtures("socket_enabled")

QUICK = aiohttp.ClientTimeout(total=3)
# Keys of a real KS5L's userpanel data (public capture, firmware ICM168_3_2_10)
USERPANEL_KEYS = [
    "model", "algo", "online", "firmver1", "firmver2", "softver1", "softver2", "firmtype",
    "nic", "mac", "ip", "netmask", "host", "dhcp", "gateway", "dns", "locate", "rtpow",
    "avgpow", "reject", "runtime", "unit", "pows", "pows_x", "powstate", "netstate",
    "fanstate", "tempstate", "fans", "pools", "boards", "refTime",
]  # fmt: skip
POOL_KEYS = [
    "no", "addr", "user", "pass", "connect", "diff", "priority", "accepted", "rejected",
    "diffa", "diffr", "state", "lsdiff", "lstime",
]  # fmt: skip
BOARD_KEYS = [
    "no", "chipnum", "chipsuc", "error", "freq", "rtpow", "avgpow", "idealpow", "tempnum",
    "pcbtemp", "intmp", "outtmp", "state", "false",
]  # fmt: skip


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=0.2) as simulator:
        yield simulator


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True),
        timeout=QUICK,
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # the miner is addressed by IP
    )


async def post(
    http: aiohttp.ClientSession, miner: SimulatedMiner, command: str, **fields: Any
) -> dict[str, Any]:
    url = f"http://{miner.host}:{miner.port}/user/{command}"
    async with http.post(url, data={key: str(value) for key, value in fields.items()}) as reply:
        assert reply.status == 200
        body = await reply.json()
    assert isinstance(body, dict)
    return body


async def login(http: aiohttp.ClientSession, miner: SimulatedMiner, pwd: str = "12345678") -> None:
    assert (await post(http, miner, "loginpost", post=6, user="admin", pwd=pwd))["error"] == 0


async def test_identity_and_userpanel_shape(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="iceriver", model="KS5L"))
    async with session() as http:
        async with http.get(f"http://{miner.host}:{miner.port}/") as reply:
            assert "<TITLE>用户界面</TITLE>" in await reply.text()
        body = await post(http, miner, "userpanel", post=4)  # reads need no login
    assert list(body) == ["error", "data", "message"]
    data = body["data"]
    assert list(data) == USERPANEL_KEYS
    assert [list(pool) for pool in data["pools"]] == [POOL_KEYS] * 3
    assert [list(board) for board in data["boards"]] == [BOARD_KEYS] * 3
    assert data["model"] == "none"
    assert data["softver1"] == "ICM168_3_2_10_ks5L_miner"
    # how clients find the model: the part before "_miner"
    assert data["softver1"].split("_")[-2].upper() == "KS5L"
    assert data["mac"].upper().replace("-", ":") == miner.mac
    assert data["unit"] == "G"
    assert data["rtpow"].endswith("G")
    assert 11000 < float(data["rtpow"][:-1]) < 13000
    assert isinstance(data["pools"][0]["no"], float)
    assert data["runtime"].startswith("00:00:00:")


async def test_every_model(sim: Simulator) -> None:
    for model in ICERIVER_MODELS:
        miner = await sim.start(MinerSpec(family="iceriver", model=model.name))
        async with session() as http:
            data = (await post(http, miner, "userpanel", post=4))["data"]
        assert len(data["boards"]) == model.boards
        assert 0.9 * model.nominal_ghs < float(data["rtpow"][:-1]) < 1.1 * model.nominal_ghs


async def test_login_wrong_password_and_writes_need_a_session(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="iceriver", model="KS0"))
    async with session() as http:
        wrong = await post(http, miner, "loginpost", post=6, user="admin", pwd="nope")
        assert wrong["error"] != 0
        assert wrong["message"]
        refused = await post(http, miner, "userpanel", post=5, locate=1)
        assert refused["error"] != 0
        assert not miner.locate  # type: ignore[attr-defined]
        await login(http, miner)
        assert (await post(http, miner, "userpanel", post=5, locate=1))["error"] == 0
        assert (await post(http, miner, "userpanel", post=4))["data"]["locate"] is True


async def test_session_expires(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="iceriver", model="KS0"))
    assert isinstance(miner, IceRiverMiner)
    miner.session_lifetime = 0.05
    async with session() as http:
        await login(http, miner)
        await asyncio.sleep(0.1)
        assert (await post(http, miner, "userpanel", post=5, locate=1))["error"] != 0


async def test_custom_password_and_password_change(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="iceriver", model="KS3M", password="hunter22"))
    async with session() as http:
        await login(http, miner, "hunter22")
        changed = await post(
            http, miner, "systemconfig", post=2, nowpwd="hunter22", newpwd="abc", compwd="abc"
        )
        assert changed["error"] == 0
    async with session() as http:
        await login(http, miner, "abc")


async def test_pools_mode_and_fan_ratio(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="iceriver", model="KS5L"))
    async with session() as http:
        await login(http, miner)
        conf = (await post(http, miner, "machineconfig", post=1))["data"]
        assert list(conf) == ["pools", "ratio", "mode", "locate"]
        assert conf["mode"] == 1
        fields: dict[str, Any] = {"post": 3, "fanratio": 80, "fanmode": "sleep"}
        for index in range(1, 4):
            fields |= {
                f"pool{index}address": f"stratum+tcp://kas{index}.example:4441",
                f"pool{index}miner": "kaspa:q.w",
                f"pool{index}pwd": "x",
            }
        assert (await post(http, miner, "machineconfig", **fields))["error"] == 0
        data = (await post(http, miner, "userpanel", post=4))["data"]
        assert data["rtpow"] == "0G"
        assert data["powstate"] is False
        assert [pool["addr"] for pool in data["pools"]] == [
            f"stratum+tcp://kas{index}.example:4441" for index in range(1, 4)
        ]
        assert miner.state.fan_percent >= 80
        fields["fanmode"] = "normal"
        await post(http, miner, "machineconfig", **fields)
        assert miner.state.hashrate > 10000
        bad = await post(http, miner, "machineconfig", post=3, fanmode="turbo")
        assert bad["error"] != 0


async def test_reboot(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="iceriver", model="KS0"))
    async with session() as http:
        await login(http, miner)
        await post(http, miner, "userpanel", post=5, locate=1)
        assert (await post(http, miner, "userpanel", post=3))["error"] == 0
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.state.reboot_count == 1
    assert miner.state.uptime < 0.2
    assert not miner.locate  # type: ignore[attr-defined]
    async with session() as http:  # sessions do not survive a reboot
        assert (await post(http, miner, "userpanel", post=5, locate=1))["error"] != 0


async def test_faults(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="iceriver", model="KS0"))
    miner.set_fault(Fault.HTTP_500, path="/user/userpanel")
    async with session() as http:
        url = f"http://{miner.host}:{miner.port}/user/userpanel"
        async with http.post(url, data={"post": "4"}) as reply:
            assert reply.status == 500
        miner.set_fault(Fault.BAD_JSON)
        miner.clear_fault(Fault.HTTP_500)
        async with http.post(url, data={"post": "4"}) as reply:
            with pytest.raises(ValueError):
                await reply.json()
