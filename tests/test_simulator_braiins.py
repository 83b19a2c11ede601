"""The simulator's Braiins OS family, spoken to over plain sockets and aiohttp (not the project's
client)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import hashlib
import io
import json
from pathlib import Path
import struct
import tarfile
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator, load_fleet
from tests.simulator.families.braiins import BraiinsMiner
from tests.simulator.protobuf import (
    Field,
    Kind,
    as_double,
    decode,
    encode,
    last_int,
    last_message,
    message,
    varint,
)

# The Home Assistant test plugin blocks sockets; these tests use real ones on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("socket_enabled")

REBOOT_SECONDS = 0.2
QUICK = aiohttp.ClientTimeout(total=3)
# Recorded replies and the REST route each answers.
RECORDED = {
    "miner_details": "miner/details",
    "miner_stats": "miner/stats",
    "miner_hw_hashboards": "miner/hw/hashboards",
    "cooling_state": "cooling/state",
    "performance_tuner_state": "performance/tuner-state",
    "miner_errors": "miner/errors",
    "pools": "pools",
    "network": "network",
    "version": "version",
    "actions_locate": "actions/locate",
}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=REBOOT_SECONDS) as simulator:
        yield simulator


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), timeout=QUICK)


def url(miner: SimulatedMiner, route: str) -> str:
    return f"http://{miner.host}:{miner.port}/api/v1/{route}"


async def login(miner: SimulatedMiner, username: str = "root", password: str = "") -> str:
    async with (
        session() as http,
        http.post(
            url(miner, "auth/login"), json={"username": username, "password": password}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        body = await response.json()
    assert set(body) == {"token", "timeout_s"}
    assert isinstance(body["timeout_s"], int)
    token = body["token"]
    assert isinstance(token, str)
    return token


async def call(
    miner: SimulatedMiner, method: str, route: str, token: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        headers["Content-Type"] = "application/json"
    async with session() as http, http.request(method, url(miner, route), **kwargs) as response:
        text = await response.text()
        if response.content_type != "application/json":
            return response.status, text or None
        return response.status, json.loads(text)


async def command(miner: SimulatedMiner, name: str) -> Any:
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(json.dumps({"command": name}).encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert raw.endswith(b"\x00")
    return json.loads(raw[:-1])


def shape(value: Any) -> Any:
    """Keys and JSON types; a list is the shape of its first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


# --- shapes against the recorded replies ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RECORDED))
async def test_rest_replies_have_the_keys_and_types_of_real_ones(
    sim: Simulator, real_fixtures: Path, name: str
) -> None:
    real = json.loads((real_fixtures / "braiins" / "v25_07" / f"{name}.json").read_text())
    miner = await sim.start(MinerSpec(family="braiins", model="Antminer S19 XP"))
    token = await login(miner)
    code, reply = await call(miner, "GET", RECORDED[name], token)
    assert code == 200
    if name == "miner_errors":  # a healthy miner has none; compare the list only
        assert reply == {"errors": []}
        return
    expected = shape(real)
    if name == "miner_details":  # JSON null in the recording: serial and PSU serial unset
        assert reply["serial_number"] is None
    assert shape(reply) == expected


async def test_configuration_has_the_recorded_tuner_shape(
    sim: Simulator, real_fixtures: Path
) -> None:
    real = json.loads(
        (real_fixtures / "braiins" / "v25_07" / "configuration_miner.json").read_text()
    )
    miner = await sim.start(MinerSpec(family="braiins", model="S19 XP"))
    code, reply = await call(miner, "GET", "configuration/miner", await login(miner))
    assert code == 200
    assert shape(reply["tuner"]) == shape(real["tuner"]) | {"hashrate_target": "NoneType"}
    assert reply["tuner"]["power_target"] == {"watt": 3031}
    assert isinstance(reply["pool_groups"], list)


async def test_identity(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins", model="S21", hostname="bos-1"))
    async with session() as http, http.get(f"http://{miner.host}:{miner.port}/") as response:
        assert response.status == 200
        assert "Braiins OS" in await response.text()
    version = await command(miner, "version")
    assert "BOSER" in json.dumps(version).upper()
    assert version["VERSION"][0]["API"] == "3.7"
    assert version["STATUS"][0]["Msg"] == "BOSer versions"
    details = await command(miner, "devdetails")
    assert [board["Model"] for board in details["DEVDETAILS"]] == ["Bitmain Antminer S21"] * 3
    assert details["DEVDETAILS"][0]["Chips"] == 108
    code, rest = await call(miner, "GET", "miner/details", await login(miner))
    assert code == 200
    assert rest["miner_identity"]["miner_model"] == "Antminer S21"
    assert rest["mac_address"] == miner.mac.lower()
    assert rest["hostname"] == "bos-1"
    assert rest["bos_version"]["current"].endswith("-25.07-plus")


async def test_rpc_reads(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins", model="S19 XP"))
    summary = (await command(miner, "summary"))["SUMMARY"][0]
    assert summary["MHS 1m"] == pytest.approx(141_000_000, rel=0.05)
    temps = (await command(miner, "temps"))["TEMPS"]
    assert [temp["ID"] for temp in temps] == [1, 2, 3]
    assert all(temp["Chip"] > temp["Board"] for temp in temps)
    fans = (await command(miner, "fans"))["FANS"]
    assert len(fans) == 4
    assert all(fan["RPM"] > 0 for fan in fans)
    tuner = (await command(miner, "tunerstatus"))["TUNERSTATUS"][0]
    assert tuner["PowerLimit"] == 3031
    assert tuner["ApproximateMinerPowerConsumption"] == pytest.approx(3031, rel=0.05)
    assert len(tuner["TunerChainStatus"]) == 3
    pools = (await command(miner, "pools"))["POOLS"]
    assert pools[0]["Stratum Active"] is True
    assert (await command(miner, "restart"))["STATUS"][0]["Code"] == 14


# --- auth -------------------------------------------------------------------------------------


async def test_login_wrong_password_and_token_expiry(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins"))
    assert miner.credentials() == {"username": "root", "password": ""}
    async with (
        session() as http,
        http.post(
            url(miner, "auth/login"), json={"username": "root", "password": "nope"}
        ) as response,
    ):
        assert response.status == 401
    async with session() as http, http.get(url(miner, "miner/details")) as response:
        assert response.status == 401
    token = await login(miner)
    # the bare token works as well as "Bearer <token>"
    async with (
        session() as http,
        http.get(url(miner, "version"), headers={"Authorization": token}) as response,
    ):
        assert response.status == 200
    assert isinstance(miner, BraiinsMiner)
    miner.token_timeout = 0.05
    await asyncio.sleep(0.1)
    assert (await call(miner, "GET", "version", token))[0] == 401
    miner.token_timeout = 3600
    token = await login(miner)
    assert (await call(miner, "GET", "version", token))[0] == 200
    miner.expire_tokens()
    assert (await call(miner, "GET", "version", token))[0] == 401


async def test_custom_credentials(sim: Simulator) -> None:
    miner = await sim.start(
        MinerSpec(family="braiins", model="S21 Pro", username="admin", password="s3cret")
    )
    assert miner.credentials() == {"username": "admin", "password": "s3cret"}
    token = await login(miner, "admin", "s3cret")
    assert (await call(miner, "GET", "miner/stats", token))[0] == 200
    async with (
        session() as http,
        http.post(url(miner, "auth/login"), json={"username": "root", "password": ""}) as response,
    ):
        assert response.status == 401


async def test_before_25_07_there_is_no_rest(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins", firmware="25.03"))
    async with (
        session() as http,
        http.post(url(miner, "auth/login"), json={"username": "root", "password": ""}) as response,
    ):
        assert response.status == 404
    assert "75912fc7" in (await command(miner, "version"))["VERSION"][0]["BOSer"]


# --- controls ---------------------------------------------------------------------------------


async def test_power_target_moves_power_and_hashrate(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins", model="S19 XP"))
    token = await login(miner)
    before = miner.state.hashrate
    code, reply = await call(miner, "PUT", "performance/power-target", token, {"watt": 2000})
    assert (code, reply) == (200, {"watt": 2000})
    assert miner.state.power == pytest.approx(2000, rel=0.03)
    assert miner.state.hashrate < before * 0.8
    tuner = (await command(miner, "tunerstatus"))["TUNERSTATUS"][0]
    assert tuner["PowerLimit"] == 2000
    _, state = await call(miner, "GET", "performance/tuner-state", token)
    assert state["mode_state"]["powertargetmodestate"]["current_target"] == {"watt": 2000}
    _, limits = await call(miner, "GET", "configuration/constraints", token)
    high = limits["tuner_constraints"]["power_target"]["max"]["watt"]
    code, _ = await call(miner, "PUT", "performance/power-target", token, {"watt": high + 1})
    assert code == 400
    code, _ = await call(miner, "PUT", "performance/power-target", token, {"watts": 2500})
    assert code == 422


async def test_pause_resume_locate_and_pools(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins"))
    token = await login(miner)
    assert await call(miner, "PUT", "actions/pause", token) == (200, False)
    assert miner.state.hashrate == 0
    _, details = await call(miner, "GET", "miner/details", token)
    assert details["status"] != 2
    assert await call(miner, "PUT", "actions/pause", token) == (200, True)
    assert await call(miner, "PUT", "actions/resume", token) == (200, False)
    assert miner.state.hashrate > 0
    assert (await command(miner, "pause"))["PAUSE"] == [True]
    assert (await command(miner, "summary"))["SUMMARY"][0]["MHS 5s"] == 0
    assert (await command(miner, "resume"))["RESUME"] == [True]
    assert (await command(miner, "summary"))["SUMMARY"][0]["MHS 5s"] > 0
    assert await call(miner, "PUT", "actions/locate", token, True) == (200, True)
    assert await call(miner, "GET", "actions/locate", token) == (200, True)
    assert miner.state.identify_active
    assert await call(miner, "PUT", "actions/locate", token, False) == (200, False)
    groups = [
        {
            "name": "Main",
            "pools": [
                {"url": "stratum+tcp://a.example:3333", "user": "w.1", "password": "x"},
                {"url": "stratum+tcp://b.example:3333", "user": "w.1"},
                {"url": "stratum+tcp://c.example:3333", "user": "w.1", "enabled": False},
            ],
        }
    ]
    code, stored = await call(miner, "PUT", "pools/batch", token, groups)
    assert code == 200
    assert stored[0]["pools"][0]["url"] == "stratum+tcp://a.example:3333"
    assert all(pool["uid"] for pool in stored[0]["pools"])
    _, pools = await call(miner, "GET", "pools", token)
    assert pools[0]["name"] == "Main"
    assert [pool["active"] for pool in pools[0]["pools"]] == [True, False, False]
    assert [pool["enabled"] for pool in pools[0]["pools"]] == [True, True, False]
    assert [pool.url for pool in miner.state.pools] == ["a.example", "b.example", "c.example"]
    rpc_pools = (await command(miner, "pools"))["POOLS"]
    assert [pool["URL"] for pool in rpc_pools][1] == "stratum+tcp://b.example:3333"
    assert (await call(miner, "PUT", "pools/batch", token, [{"name": "x"}]))[0] == 422


async def test_reboot_goes_down_and_uptime_resets(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins"))
    miner.state.uptime = 5000.0
    token = await login(miner)
    assert await call(miner, "PUT", "actions/reboot", token) == (204, None)
    await miner.wait_until_down(2)
    await miner.wait_until_up(2)
    assert (await command(miner, "summary"))["SUMMARY"][0]["Elapsed"] < 5
    assert (await call(miner, "GET", "version", token))[0] == 401  # logins do not survive


# --- faults -----------------------------------------------------------------------------------


async def test_faults_on_both_ports(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins"))
    token = await login(miner)
    miner.set_fault(Fault.HTTP_500, path="/api/v1/miner/stats")
    assert (await call(miner, "GET", "miner/stats", token))[0] == 500
    assert (await call(miner, "GET", "miner/details", token))[0] == 200
    miner.clear_fault()
    miner.set_fault(Fault.MULTI_COMMAND_REJECTED)
    assert (await command(miner, "summary+temps"))["STATUS"][0]["Code"] == 14
    assert (await command(miner, "temps"))["TEMPS"]
    miner.clear_fault()
    joined = await command(miner, "summary+tunerstatus")
    assert joined["tunerstatus"][0]["TUNERSTATUS"][0]["PowerLimit"] == 3031
    miner.set_fault(Fault.TRUNCATED, path="devdetails")
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    writer.write(b'{"command":"devdetails"}')
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    assert raw
    assert not raw.endswith(b"\x00")
    with pytest.raises(ValueError):
        json.loads(raw)


def test_fleets() -> None:
    models = {spec.model for spec in load_fleet("braiins")}
    assert models >= {"Antminer S19", "Antminer S19 XP", "Antminer S21", "Antminer S21 Pro"}
    assert any(spec.family == "braiins" for spec in load_fleet("demo"))


# --- gRPC on 50051: a raw conversation (grpcio with bytes in and out, hand-read protobuf) ---

BOS = "/braiins.bos.v1."
# The requests a client sends (the simulator only reads their raw fields).
LOGIN_REQUEST = {"username": Field(1, Kind.STRING), "password": Field(2, Kind.STRING)}
SET_POWER_TARGET = {
    "save_action": Field(1, Kind.UINT),
    "power_target": message(2, {"watt": Field(1, Kind.UINT)}),
}
LOCATE_FIELD = Field(1, Kind.BOOL)
UPGRADE_REQUEST = {"metadata": Field(1, Kind.BYTES), "data": Field(2, Kind.BYTES)}
NO_GRPC = "grpcio is not installed here, so the simulator serves no gRPC port"
# grpcio shares connections between channels and remembers a refused one for a second or
# more; every channel here connects afresh, as separate clients would.
FRESH = [("grpc.use_local_subchannel_pool", 1)]


def grpc_modules() -> tuple[Any, Any]:
    grpc = pytest.importorskip("grpc", reason=NO_GRPC, exc_type=ImportError)
    return grpc, pytest.importorskip("grpc.aio", reason=NO_GRPC, exc_type=ImportError)


def login_request(username: str, password: str) -> bytes:
    return encode({"username": username, "password": password}, LOGIN_REQUEST)


async def grpc_call(
    miner: SimulatedMiner, method: str, request: bytes = b"", token: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """One unary call: the reply's bytes and its initial metadata."""
    _grpc, grpc_aio = grpc_modules()
    metadata = (("authorization", token),) if token is not None else None
    async with grpc_aio.insecure_channel(
        f"{miner.host}:{miner.ports['grpc']}", options=FRESH
    ) as channel:
        unary = channel.unary_unary(method)(request, metadata=metadata, timeout=3)
        reply: bytes = await unary
        return reply, dict(await unary.initial_metadata())


async def grpc_status(
    miner: SimulatedMiner, method: str, request: bytes = b"", token: str | None = None
) -> Any:
    _grpc, grpc_aio = grpc_modules()
    with pytest.raises(grpc_aio.AioRpcError) as raised:
        await grpc_call(miner, method, request, token)
    return raised.value.code()


async def start_bos(sim: Simulator, password: str | None = None) -> BraiinsMiner:
    miner = await sim.start(MinerSpec(family="braiins", model="Antminer S19 XP", password=password))
    assert isinstance(miner, BraiinsMiner)
    return miner


async def grpc_login(miner: SimulatedMiner, password: str = "") -> str:
    reply, metadata = await grpc_call(
        miner, BOS + "AuthenticationService/Login", login_request("root", password)
    )
    fields = decode(reply)
    token = metadata["authorization"]
    assert last_message(fields, 1) == token.encode()  # LoginResponse.token
    assert last_int(fields, 2) == 3600  # timeout_s
    return token


def sub(fields: dict[int, list[int | bytes]], *path: int) -> dict[int, list[int | bytes]]:
    for number in path:
        raw = last_message(fields, number)
        assert raw is not None, f"field {number} missing"
        fields = decode(raw)
    return fields


def text(fields: dict[int, list[int | bytes]], number: int) -> str:
    raw = last_message(fields, number)
    assert raw is not None
    return raw.decode()


def double(fields: dict[int, list[int | bytes]], number: int) -> float:
    raw = last_message(fields, number)
    assert raw is not None
    return as_double(raw)


async def test_grpc_login_and_token(sim: Simulator) -> None:
    grpc, _grpc_aio = grpc_modules()
    miner = await start_bos(sim)
    assert miner.ports["grpc"] > 0
    details = BOS + "MinerService/GetMinerDetails"
    assert await grpc_status(miner, details) == grpc.StatusCode.UNAUTHENTICATED
    assert await grpc_status(miner, details, token="forged") == grpc.StatusCode.UNAUTHENTICATED
    wrong = login_request("root", "nope")
    assert (
        await grpc_status(miner, BOS + "AuthenticationService/Login", wrong)
        == grpc.StatusCode.UNAUTHENTICATED
    )
    token = await grpc_login(miner)
    reply, _ = await grpc_call(miner, details, token=token)
    assert decode(reply)
    rest_token = await login(miner)  # one token store: a REST login works on gRPC too
    assert (await grpc_call(miner, details, token=rest_token))[0]
    miner.expire_tokens()
    assert await grpc_status(miner, details, token=token) == grpc.StatusCode.UNAUTHENTICATED
    version, _ = await grpc_call(miner, "/braiins.bos.ApiVersionService/GetApiVersion")
    fields = decode(version)
    assert (last_int(fields, 1), last_int(fields, 2)) == (1, 6)  # 25.07, without a login
    unknown = BOS + "MinerService/GetNothing"
    assert await grpc_status(miner, unknown, token=token) == grpc.StatusCode.UNIMPLEMENTED


async def test_grpc_reads_match_the_miner(sim: Simulator) -> None:
    _grpc, _grpc_aio = grpc_modules()
    miner = await start_bos(sim)
    token = await grpc_login(miner)
    reply, _ = await grpc_call(miner, BOS + "MinerService/GetMinerDetails", token=token)
    details = decode(reply)
    assert text(details, 7) == miner.mac.lower()  # mac_address
    assert text(sub(details, 5), 1) == "2025-08-06-0-3881c51d-25.07-plus"  # bos_version.current
    assert text(sub(details, 2), 4) == "Antminer S19 XP"  # miner_identity.miner_model
    assert double(sub(details, 9), 1) == miner.board.sticker_hashrate  # sticker_hashrate
    assert last_int(sub(details, 14), 1) is None  # psu_info.version is a wrapper message
    assert last_int(sub(details, 14, 1), 1) == 117

    reply, _ = await grpc_call(miner, BOS + "MinerService/GetHashboards", token=token)
    boards = [decode(raw) for raw in decode(reply)[1] if isinstance(raw, bytes)]
    assert [text(board, 1) for board in boards] == ["1", "2", "3"]
    assert all(last_int(sub(board, 3), 1) == 110 for board in boards)  # chips_count
    last_5s = [double(sub(board, 8, 1, 1), 1) for board in boards]  # stats.real_hashrate.last_5s
    assert sum(last_5s) == pytest.approx(miner.state.hashrate, rel=0.05)

    reply, _ = await grpc_call(miner, BOS + "MinerService/GetMinerStats", token=token)
    watt = last_int(sub(decode(reply), 3, 1), 1)  # power_stats.approximated_consumption.watt
    assert watt == pytest.approx(miner.state.power, rel=0.03)

    reply, _ = await grpc_call(miner, BOS + "CoolingService/GetCoolingState", token=token)
    fans = [decode(raw) for raw in decode(reply)[1] if isinstance(raw, bytes)]
    assert len(fans) == 4
    assert all((last_int(fan, 2) or 0) > 0 for fan in fans)

    reply, _ = await grpc_call(miner, BOS + "PoolService/GetPoolGroups", token=token)
    group = sub(decode(reply), 1)
    assert text(group, 1) == "Default"
    assert last_int(sub(group, 2), 1) == 1  # the quota case of the strategy oneof
    urls = [text(decode(raw), 2) for raw in group[4] if isinstance(raw, bytes)]
    assert urls[0] == "stratum+tcp://stratum.braiins.com:3333"

    reply, _ = await grpc_call(
        miner, BOS + "ConfigurationService/GetMinerConfiguration", token=token
    )
    tuner = sub(decode(reply), 3)
    assert last_int(tuner, 2) == 1  # TUNER_MODE_POWER_TARGET
    assert last_int(sub(tuner, 3), 1) == miner.power_target

    reply, _ = await grpc_call(miner, BOS + "PerformanceService/GetTunerState", token=token)
    state = decode(reply)
    assert last_int(state, 1) == 2  # TUNER_STATE_STABLE
    assert last_int(sub(state, 2, 2), 1) == miner.power_target  # power_target_mode_state


async def test_grpc_writes(sim: Simulator) -> None:
    grpc, _grpc_aio = grpc_modules()
    miner = await start_bos(sim)
    token = await grpc_login(miner)
    request = encode({"save_action": 2, "power_target": {"watt": 2500}}, SET_POWER_TARGET)
    reply, _ = await grpc_call(
        miner, BOS + "PerformanceService/SetPowerTarget", request, token=token
    )
    assert last_int(sub(decode(reply), 1), 1) == 2500
    assert miner.power_target == 2500
    reply, _ = await grpc_call(
        miner, BOS + "PerformanceService/GetActivePerformanceMode", token=token
    )
    assert last_int(sub(decode(reply), 2, 1, 1), 1) == 2500  # tuner_mode.power_target
    too_much = encode({"power_target": {"watt": 99_000}}, SET_POWER_TARGET)
    code = await grpc_status(miner, BOS + "PerformanceService/SetPowerTarget", too_much, token)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert miner.power_target == 2500

    reply, _ = await grpc_call(miner, BOS + "ActionsService/PauseMining", token=token)
    assert not last_int(decode(reply), 1)  # already_paused: false
    assert miner.state.paused
    assert miner.state.hashrate == 0
    reply, _ = await grpc_call(miner, BOS + "ActionsService/PauseMining", token=token)
    assert last_int(decode(reply), 1) == 1
    await grpc_call(miner, BOS + "ActionsService/ResumeMining", token=token)
    resumed = miner.state
    assert not resumed.paused

    locate_on = encode({"enabled": True}, {"enabled": LOCATE_FIELD})
    reply, _ = await grpc_call(
        miner, BOS + "ActionsService/SetLocateDeviceStatus", locate_on, token=token
    )
    assert last_int(decode(reply), 1) == 1
    reply, _ = await grpc_call(miner, BOS + "ActionsService/GetLocateDeviceStatus", token=token)
    assert last_int(decode(reply), 1) == 1
    assert miner.state.identify_active

    uptime = miner.state.uptime
    await grpc_call(miner, BOS + "ActionsService/Reboot", token=token)
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.state.uptime < uptime
    details = BOS + "MinerService/GetMinerDetails"
    assert await grpc_status(miner, details, token=token) == grpc.StatusCode.UNAUTHENTICATED
    assert (await grpc_call(miner, details, token=await grpc_login(miner)))[0]


async def test_grpc_faults_and_credentials(sim: Simulator) -> None:
    grpc, _grpc_aio = grpc_modules()
    miner = await start_bos(sim, password="hunter2")
    token = await grpc_login(miner, "hunter2")
    details = BOS + "MinerService/GetMinerDetails"
    miner.set_fault(Fault.HTTP_500, path=details)
    assert await grpc_status(miner, details, token=token) == grpc.StatusCode.INTERNAL
    miner.clear_fault()
    miner.set_fault(Fault.SLOW, delay=0.3)
    started = asyncio.get_running_loop().time()
    await grpc_call(miner, details, token=token)
    assert asyncio.get_running_loop().time() - started >= 0.3
    miner.clear_fault()
    miner.set_fault(Fault.OFFLINE)
    await miner.wait_until_down()
    assert await grpc_status(miner, details, token=token) == grpc.StatusCode.UNAVAILABLE
    miner.clear_fault()
    await miner.wait_until_up()
    assert (await grpc_call(miner, details, token=token))[0]


def test_protobuf_wire_format() -> None:
    schema = {
        "n": Field(1, Kind.INT),
        "s": Field(2, Kind.STRING),
        "d": Field(3, Kind.DOUBLE),
        "w": Field(4, Kind.UINT_VALUE),
        "b": Field(5, Kind.BYTES),
        "r": Field(6, Kind.UINT),
    }
    values = {"n": -2, "s": "é", "d": 1.5, "w": 300, "b": b"\x00", "r": [1, 2], "x": None}
    raw = encode(values, {**schema, "x": Field(9, Kind.BOOL)})
    fields = decode(raw)
    assert last_int(fields, 1) == (1 << 64) - 2  # int64 -2 as ten varint bytes
    assert text(fields, 2) == "é"
    assert double(fields, 3) == 1.5
    assert last_int(sub(fields, 4), 1) == 300
    assert fields[5] == [b"\x00"]
    assert fields[6] == [1, 2]
    assert 9 not in fields
    assert raw.startswith(bytes([0x08]) + varint(-2))
    assert len(varint(-2)) == 10
    with pytest.raises(ValueError, match="no field"):
        encode({"nope": 1}, schema)
    for broken in (b"\x08", b"\x0a\x05ab", b"\x0b", b"\x00\x01", b"\x08" + b"\xff" * 11):
        with pytest.raises(ValueError):
            decode(broken)
    assert as_double(struct.pack("<d", 2.25)) == 2.25


# --- firmware upload (26.04): REST multipart and the gRPC client stream ---------------------

UPGRADE_METADATA = {
    "size": Field(1, Kind.UINT),
    "hash": Field(2, Kind.STRING),
    "discard_settings": Field(3, Kind.BOOL),
    "disable_cleanup": Field(4, Kind.BOOL),
}


def sysupgrade_image(release: str) -> bytes:
    """A small tar whose first member names the release, as the simulator reads it."""
    content = b"firmware" * 512
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        member = tarfile.TarInfo(f"braiins-os-{release}/root.squashfs")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    return out.getvalue()


def metadata_of(image: bytes, *, discard: bool = False) -> dict[str, Any]:
    return {
        "size": len(image),
        "hash": hashlib.sha256(image).hexdigest(),
        "discard_settings": discard,
        "disable_cleanup": False,
    }


async def rest_upgrade(
    miner: SimulatedMiner, token: str, image: bytes, metadata: dict[str, Any]
) -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("metadata", json.dumps(metadata), content_type="application/json")
    form.add_field("data", image, filename="firmware.tar")
    async with (
        session() as http,
        http.post(
            url(miner, "upgrade/system-upgrade"),
            data=form,
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        return response.status, await response.text()


async def test_rest_system_upgrade(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="braiins", model="Antminer S19 XP", firmware="26.04"))
    assert isinstance(miner, BraiinsMiner)
    token = await login(miner)
    pools_before = [(pool.uid, pool.url) for group in miner.groups for pool in group.pools]
    not_a_tar = b"\x00" * 1024
    status, body = await rest_upgrade(miner, token, not_a_tar, metadata_of(not_a_tar))
    assert (status, json.loads(body)) == (500, {"message": "Invalid firmware image"})
    image = sysupgrade_image("25.11")
    wrong_hash = metadata_of(image) | {"hash": "0" * 64}
    assert await rest_upgrade(miner, token, image, wrong_hash) == (
        500,
        '{"message": "Firmware hash mismatch"}',
    )
    short = metadata_of(image) | {"size": 1}
    assert (await rest_upgrade(miner, token, image, short))[0] == 500
    assert (await rest_upgrade(miner, token, image, {"size": "big"}))[0] == 422
    miner.set_fault(Fault.FIRMWARE_REJECTED)
    assert (await rest_upgrade(miner, token, image, metadata_of(image)))[0] == 500
    miner.clear_fault()
    assert miner.state.firmware_updates == 0

    status, _ = await rest_upgrade(miner, token, image, metadata_of(image))
    assert status == 204
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.state.firmware_updates == 1
    assert miner.rest_details()["bos_version"]["current"] == "2025-11-20-0-5d0c1a7e-25.11-plus"
    kept = [(pool.uid, pool.url) for group in miner.groups for pool in group.pools]
    assert kept == pools_before  # settings kept
    token = await login(miner)
    # 25.11 has no upload route: the firmware just installed answers 404.
    assert (await rest_upgrade(miner, token, image, metadata_of(image)))[0] == 404


async def test_grpc_system_upgrade(sim: Simulator) -> None:
    grpc, grpc_aio = grpc_modules()
    miner = await sim.start(
        MinerSpec(family="braiins", model="Antminer S19 XP", firmware="26.04", password="pw")
    )
    assert isinstance(miner, BraiinsMiner)
    miner.set_power_target(2500)
    token = await grpc_login(miner, "pw")
    image = sysupgrade_image("26.04")
    path = BOS + "UpgradeService/SystemUpgrade"

    async def upload(messages: list[bytes]) -> bytes:
        channel_target = f"{miner.host}:{miner.ports['grpc']}"
        async with grpc_aio.insecure_channel(channel_target, options=FRESH) as channel:
            call = channel.stream_unary(path)
            reply: bytes = await call(
                iter(messages), metadata=(("authorization", token),), timeout=3
            )
            return reply

    metadata = encode(metadata_of(image, discard=True), UPGRADE_METADATA)
    chunks = [image[start : start + 4096] for start in range(0, len(image), 4096)]
    stream = [encode({"metadata": metadata}, UPGRADE_REQUEST)] + [
        encode({"data": chunk}, UPGRADE_REQUEST) for chunk in chunks
    ]
    with pytest.raises(grpc_aio.AioRpcError) as raised:
        await upload(stream[1:])  # data before metadata
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc_aio.AioRpcError) as raised:
        await upload(stream[:-1])  # a chunk short
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert raised.value.details() == f"Firmware size mismatch: expected {len(image)}, got " + str(
        len(image) - len(chunks[-1])
    )

    reply = await upload(stream)
    assert last_int(decode(reply), 1) == 1  # successful
    await miner.wait_until_down()
    await miner.wait_until_up()
    assert miner.state.firmware_updates == 1
    assert miner.power_target == miner.board.default_power_target  # settings discarded
    assert miner.password == "pw"  # the login given at start stays the miner's

    older = await sim.start(MinerSpec(family="braiins", model="Antminer S19 XP"))  # 25.07
    token = await grpc_login(older)
    async with grpc_aio.insecure_channel(
        f"{older.host}:{older.ports['grpc']}", options=FRESH
    ) as channel:
        with pytest.raises(grpc_aio.AioRpcError) as raised:
            await channel.stream_unary(path)(
                iter(stream), metadata=(("authorization", token),), timeout=3
            )
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
