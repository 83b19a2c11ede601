"""The simulator's Whatsminer family, spoken to over plain sockets (not the project's client).

The test side does its own AES-256-ECB, sha256 and v3 tokens; md5-crypt is the simulator's,
checked first against vectors printed by OpenSSL (``openssl passwd -1 -salt SALT PASSWORD``).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
import gzip
import hashlib
import io
import json
from pathlib import Path
import shutil
import struct
import subprocess
import time
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
import pytest

from tests.simulator import Fault, MinerSpec, SimulatedMiner, Simulator, load_fleet
from tests.simulator.families.whatsminer import WhatsminerMiner
from tests.simulator.families.whatsminer_crypto import md5_crypt
from tests.simulator.fleet import parse_fleet

# The Home Assistant test plugin blocks sockets; these tests use real ones on 127.0.0.1.
pytestmark = pytest.mark.usefixtures("socket_enabled")

REBOOT_SECONDS = 0.2
PASSWORD = "hunter22"
# md5-crypt as OpenSSL computes it: (password, salt, result).
OPENSSL_VECTORS = (
    ("password", "saltstring", "$1$saltstri$qQY4WxjABChYG1ccLpfkz/"),
    ("admin", "5QAHiKMb", "$1$5QAHiKMb$x5JSSQzqF0lEACIGSL0Ld1"),
    ("", "abcdefgh", "$1$abcdefgh$M55TzYaaccxVGbptZWaxX/"),
    ("a", "xx", "$1$xx$QMz97CSi6/abMUuftXOqs1"),
    ("0123456789abcdef0123456789", "ZZ.z/9aB", "$1$ZZ.z/9aB$QKboX3i8VVU6imlUw9Fg4/"),
    ("hunter22", "BQ5hoXV9", "$1$BQ5hoXV9$B7PuQRymoLSv/etrakBv5/"),
)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(reboot_seconds=REBOOT_SECONDS) as simulator:
        yield simulator


# --- a small client, written for the tests ---------------------------------------------------


async def exchange(miner: SimulatedMiner, request: bytes, *, timeout: float = 2) -> bytes:
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc"])
    try:
        writer.write(request)
        writer.write_eof()
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


def decode(raw: bytes) -> dict[str, Any]:
    reply = json.loads(raw.rstrip(b"\x00"))
    assert isinstance(reply, dict)
    return reply


async def command(miner: SimulatedMiner, name: str, **extra: Any) -> dict[str, Any]:
    raw = await exchange(miner, json.dumps({"command": name, **extra}).encode())
    assert raw.endswith(b"\x00")
    return decode(raw)


def aes(key: bytes) -> Cipher[modes.ECB]:
    return Cipher(algorithms.AES(key), modes.ECB())


class V2Session:
    """get_token, the two md5-crypt rounds, and AES-256-ECB with NUL padding."""

    def __init__(self, miner: SimulatedMiner, password: str = PASSWORD) -> None:
        self.miner = miner
        self.password = password
        self.sign = ""
        self.key = b""

    async def login(self) -> dict[str, Any]:
        token = await command(self.miner, "get_token")
        msg = token["Msg"]
        passwd_md5 = md5_crypt(self.password, "$1$" + msg["salt"] + "$").split("$")[3]
        self.sign = md5_crypt(passwd_md5 + msg["time"], "$1$" + msg["newsalt"] + "$").split("$")[3]
        self.key = hashlib.sha256(passwd_md5.encode()).digest()
        return token

    def encrypt(self, body: dict[str, Any]) -> bytes:
        plain = json.dumps(body).encode()
        plain += b"\x00" * (-len(plain) % 16)
        encryptor = aes(self.key).encryptor()
        data = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
        return json.dumps({"enc": 1, "data": data}).encode()

    def decrypt(self, reply: dict[str, Any]) -> dict[str, Any]:
        decryptor = aes(self.key).decryptor()
        plain = decryptor.update(base64.b64decode(reply["enc"])) + decryptor.finalize()
        inner = json.loads(plain.rstrip(b"\x00"))
        assert isinstance(inner, dict)
        return inner

    async def send(self, cmd: str, **params: Any) -> dict[str, Any]:
        """The decrypted reply, or the plain one when the miner answered in plain text."""
        if not self.sign:
            await self.login()
        raw = await exchange(self.miner, self.encrypt({"cmd": cmd, **params, "token": self.sign}))
        reply = decode(raw)
        return self.decrypt(reply) if "enc" in reply else reply


async def v3_exchange(miner: SimulatedMiner, body: bytes, *, timeout: float = 2) -> bytes:
    """One length-prefixed frame out; everything the miner sends until it closes back."""
    reader, writer = await asyncio.open_connection(miner.host, miner.ports["rpc_v3"])
    try:
        writer.write(len(body).to_bytes(4, "little") + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


async def v3(miner: SimulatedMiner, request: dict[str, Any]) -> dict[str, Any]:
    raw = await v3_exchange(miner, json.dumps(request).encode())
    length = int.from_bytes(raw[:4], "little")
    assert len(raw) == 4 + length
    reply = json.loads(raw[4:])
    assert isinstance(reply, dict)
    return reply


def v3_digest(cmd: str, password: str, salt: str, ts: int) -> bytes:
    return hashlib.sha256(f"{cmd}{password}{salt}{ts}".encode()).digest()


async def v3_write(
    miner: SimulatedMiner,
    cmd: str,
    param: Any = None,
    *,
    password: str = "super",
    ts: int | None = None,
    encrypt: bool = False,
) -> dict[str, Any]:
    salt = (await v3(miner, {"cmd": "get.device.info", "param": "salt"}))["msg"]["salt"]
    stamp = int(time.time()) if ts is None else ts
    digest = v3_digest(cmd, password, salt, stamp)
    request: dict[str, Any] = {
        "cmd": cmd,
        "ts": stamp,
        "token": base64.b64encode(digest).decode()[:8],
        "account": "super",
    }
    if param is not None:
        if encrypt:  # PKCS#7, as MicroBT's own JavaScript client pads
            plain = json.dumps(param).encode()
            plain += bytes([16 - len(plain) % 16]) * (16 - len(plain) % 16)
            encryptor = aes(digest).encryptor()
            param = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
        request["param"] = param
    return await v3(miner, request)


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively (ints and floats apart)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def real(real_fixtures: Path, generation: str, name: str) -> dict[str, Any]:
    reply = json.loads((real_fixtures / "whatsminer" / generation / f"{name}.json").read_text())
    assert isinstance(reply, dict)
    return reply


def assert_contains_shape(ours: Any, theirs: Any) -> None:
    """Every key of the real reply is in ours, with the same JSON type (lists: item by item)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict)
        missing = sorted(set(theirs) - set(ours))
        assert not missing, f"keys missing: {missing}"
        for key, value in theirs.items():
            assert_contains_shape(ours[key], value)
    elif isinstance(theirs, list):
        assert isinstance(ours, list)
        for mine, item in zip(ours, theirs, strict=False):
            assert_contains_shape(mine, item)
    else:
        assert type(ours) is type(theirs), (ours, theirs)


# --- md5-crypt ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "salt", "expected"), OPENSSL_VECTORS)
def test_md5_crypt_matches_openssl_vectors(password: str, salt: str, expected: str) -> None:
    assert md5_crypt(password, salt) == expected
    assert md5_crypt(password, f"$1${salt}$") == expected


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command to compare with")
def test_md5_crypt_matches_openssl_on_more_inputs() -> None:
    for password, salt in (("x" * 70, "lOnGpass"), ("pässwörd", "utf8salt"), ("$1$", "a.b/c")):
        expected = subprocess.run(
            ["openssl", "passwd", "-1", "-salt", salt, password],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert md5_crypt(password, salt) == expected


# --- API v2 reads against the recorded replies -------------------------------------------------


@pytest.mark.parametrize("name", ["summary", "devs", "pools", "get_version", "get_psu", "status"])
async def test_legacy_replies_have_the_keys_and_types_of_real_ones(
    sim: Simulator, real_fixtures: Path, name: str
) -> None:
    """Firmware 20210322 (API "whatsminer v1.4.0"): exactly the recorded keys and types."""
    theirs = real(real_fixtures, "v1", name)
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", legacy=True))
    ours = await command(miner, name)
    assert shape(ours) == shape(theirs)
    status_ours = ours["STATUS"][0] if isinstance(ours["STATUS"], list) else ours
    status_theirs = theirs["STATUS"][0] if isinstance(theirs["STATUS"], list) else theirs
    for key in ("STATUS", "Code", "Description"):
        assert status_ours[key] == status_theirs[key]
    if isinstance(status_theirs["Msg"], str):
        assert status_ours["Msg"] == status_theirs["Msg"]


async def test_legacy_summary_lists_error_codes(sim: Simulator, real_fixtures: Path) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", legacy=True))
    assert isinstance(miner, WhatsminerMiner)
    miner.error_codes[:] = [(110, "2024-06-15 09:15:00"), (600, "2024-06-15 10:30:00")]
    ours = await command(miner, "summary")
    assert shape(ours) == shape(real(real_fixtures, "v1", "summary_with_errors"))
    assert ours["SUMMARY"][0]["Error Code Count"] == 2
    assert (await command(miner, "get_error_code"))["Code"] == 14  # not before API 2.0.1


@pytest.mark.parametrize(
    "name", ["get_version", "get_psu", "status", "get_error_code", "get_miner_info"]
)
async def test_daemon_replies_have_the_keys_and_types_of_real_ones(
    sim: Simulator, real_fixtures: Path, name: str
) -> None:
    """Firmware 20230803 (API 2.0.5): the flat replies of the API daemon."""
    theirs = real(real_fixtures, "v2", name)
    miner = await sim.start(MinerSpec(family="whatsminer", model="M50S"))
    extra = {"info": "hostname,ledstat,mac"} if name == "get_miner_info" else {}
    ours = await command(miner, name, **extra)
    assert shape(ours) == shape(theirs)
    for key in ("STATUS", "Code", "Description"):
        assert ours[key] == theirs[key]
    if name == "get_miner_info":
        full = await command(miner, name)
        assert {"mac", "hostname", "minersn", "ledstat"} <= set(full["Msg"])
        assert full["Msg"]["mac"] == miner.mac


async def test_error_codes_in_the_real_shape(sim: Simulator, real_fixtures: Path) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M50S"))
    assert isinstance(miner, WhatsminerMiner)
    miner.error_codes[:] = [(218, "2024-06-15 10:30:00"), (110, "2024-06-15 09:15:00")]
    ours = await command(miner, "get_error_code")
    theirs = real(real_fixtures, "v2", "get_error_code_with_errors")
    assert ours == theirs | {"When": ours["When"]}


@pytest.mark.parametrize("name", ["summary", "devs", "pools"])
async def test_btminer_replies_hold_every_recorded_key(
    sim: Simulator, real_fixtures: Path, name: str
) -> None:
    """The 20230803 recordings are trimmed: ours hold all their keys, with the same types."""
    miner = await sim.start(MinerSpec(family="whatsminer", model="M50S"))
    ours = await command(miner, name)
    theirs = real(real_fixtures, "v2", name)
    assert_contains_shape(ours, theirs)
    assert ours["STATUS"][0]["Code"] == theirs["STATUS"][0]["Code"]
    assert ours["STATUS"][0]["Msg"] == theirs["STATUS"][0]["Msg"]
    if name == "summary":
        summary = ours["SUMMARY"][0]
        for key in ("MHS 1m", "Firmware Version", "Error Code Count", "Power Limit", "Env Temp"):
            assert key in summary
        assert summary["Factory GHS"] == 126000
        assert summary["MAC"] == miner.mac
    if name == "devs":
        assert [board["Effective Chips"] for board in ours["DEVS"]] == [135, 135, 135]


async def test_devdetails_model_and_edevs(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M60S"))
    details = await command(miner, "devdetails")
    assert details["STATUS"][0]["Code"] == 69
    assert {item["Model"] for item in details["DEVDETAILS"]} == {"M60S_VK30"}
    edevs = await command(miner, "edevs")
    assert [board["Slot"] for board in edevs["DEVS"]] == [0, 1, 2]


async def test_joined_commands_as_the_firmware_answers_them(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S"))
    joined = await command(miner, "summary+pools")
    assert set(joined) == {"summary", "pools", "id"}
    assert joined["summary"][0]["STATUS"][0]["Code"] == 11
    refused = await command(miner, "summary+get_version")
    assert (refused["STATUS"], refused["Code"], refused["Msg"]) == ("E", 45, "command join err")
    assert (await command(miner, "pools+status"))["Code"] == 45
    unknown = await command(miner, "version")
    assert (unknown["STATUS"], unknown["Code"], unknown["Msg"]) == ("E", 14, "invalid cmd")
    # {"cmd": …} works like {"command": …}
    assert decode(await exchange(miner, b'{"cmd":"get_version"}'))["Msg"]["api_ver"] == "2.0.5"
    old = await sim.start(MinerSpec(family="whatsminer", model="M30S", legacy=True))
    assert (await command(old, "version"))["Description"] == "whatsminer v1.4.0"


# --- API v2 privileged commands ----------------------------------------------------------------


async def test_privileged_api_is_locked_until_the_password_was_changed(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S"))
    assert miner.credentials() == {"username": "admin", "password": "admin"}
    session = V2Session(miner, "admin")
    token = await session.login()
    assert token["Code"] == 134
    assert set(token["Msg"]) == {"salt", "time", "newsalt"}
    assert len(token["Msg"]["time"]) == 4
    refused = await session.send("set_low_power")
    assert (refused["STATUS"], refused["Code"], refused["Msg"]) == (
        "E",
        45,
        "can't access write cmd",
    )
    unlocked = await sim.start(MinerSpec(family="whatsminer", model="M30S", password_changed=True))
    assert (await V2Session(unlocked, "admin").send("set_low_power"))["Code"] == 131
    unlocked.set_fault(Fault.PRIVILEGED_LOCKED)
    assert (await V2Session(unlocked, "admin").send("set_low_power"))["Code"] == 45
    unlocked.clear_fault()
    plain = await command(unlocked, "reboot")  # writes are refused in plain text
    assert (plain["Code"], plain["Msg"]) == (45, "can't access write cmd")
    assert unlocked.is_up


async def test_wrong_password_and_bad_tokens(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    wrong = await V2Session(miner, "admin").send("set_low_power")
    assert (wrong["STATUS"], wrong["Code"], wrong["Msg"]) == ("E", 23, "enc json load err")
    session = V2Session(miner)
    await session.login()
    session.sign = "forged" + session.sign[6:]
    forged = await session.send("set_low_power")
    assert (forged["Code"], forged["Msg"]) == (135, "check token err")
    not_base64 = decode(await exchange(miner, b'{"enc":1,"data":"abc"}'))
    assert not_base64["Code"] == 137


async def test_expired_token(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    assert isinstance(miner, WhatsminerMiner)
    assert miner.token_lifetime == 1800
    miner.token_lifetime = 0.1
    session = V2Session(miner)
    await session.login()
    assert (await session.send("set_normal_power"))["Code"] == 131  # reusable while fresh
    await asyncio.sleep(0.15)
    expired = await session.send("set_normal_power")
    assert (expired["STATUS"], expired["Code"], expired["Msg"]) == ("E", 135, "check token err")
    await session.login()
    assert (await session.send("set_normal_power"))["Code"] == 131


async def test_token_over_max_times(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    for _ in range(32):
        assert (await command(miner, "get_token"))["Code"] == 134
    over = await command(miner, "get_token")
    assert (over["STATUS"], over["Code"], over["Msg"]) == ("E", 136, "token over max times")


async def test_privileged_commands_change_the_miner(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    session = V2Session(miner)
    ok = await session.send(
        "update_pools",
        pool1="stratum+tcp://pool.example:3333",
        worker1="me.1",
        passwd1="x",
        pool2="stratum+tcp://backup.example:443",
        worker2="me.2",
        passwd2="x",
    )
    assert (ok["STATUS"], ok["Code"], ok["Msg"]) == ("S", 131, "API command OK")
    pools = (await command(miner, "pools"))["POOLS"]
    assert [(pool["URL"], pool["User"]) for pool in pools] == [
        ("stratum+tcp://pool.example:3333", "me.1"),
        ("stratum+tcp://backup.example:443", "me.2"),
    ]

    normal = (await command(miner, "summary"))["SUMMARY"][0]
    assert (await session.send("set_low_power"))["Code"] == 131
    low = (await command(miner, "summary"))["SUMMARY"][0]
    assert low["Power Mode"] == "Low"
    assert low["Power"] < normal["Power"] * 0.9
    assert low["MHS 1m"] < normal["MHS 1m"] * 0.9
    assert (await command(miner, "status"))["Msg"]["power_mode"] == "low"

    assert (await session.send("adjust_power_limit", power_limit="2000"))["Code"] == 131
    limited = (await command(miner, "summary"))["SUMMARY"][0]
    assert limited["Power Limit"] == 2000
    assert limited["Power"] <= 2000
    assert (await session.send("adjust_power_limit", power_limit="99999"))["Code"] == 132

    assert (await session.send("power_off", respbefore="true"))["Code"] == 131
    off = (await command(miner, "summary"))["SUMMARY"][0]
    assert off["MHS 1m"] == 0.0
    assert off["Power"] < 100
    assert off["Fan Speed In"] < normal["Fan Speed In"]
    assert (await command(miner, "status"))["Msg"]["mineroff"] == "true"
    assert (await session.send("power_on"))["Code"] == 131
    assert (await command(miner, "status"))["Msg"]["mineroff"] == "false"

    led = await session.send("set_led", color="red", period=200, duration=100, start=0)
    assert led["Code"] == 131
    assert (await command(miner, "get_miner_info"))["Msg"]["ledstat"] == "manual"
    assert (await session.send("set_led", param="auto"))["Code"] == 131
    assert (await command(miner, "get_miner_info"))["Msg"]["ledstat"] == "auto"
    assert (await session.send("set_led", color="blue", period=1, duration=1))["Code"] == 132
    assert (await session.send("no_such_command"))["Code"] == 14


async def test_restart_and_reboot(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    assert isinstance(miner, WhatsminerMiner)
    miner.state.uptime = 5000.0  # pretend it has run a while
    miner.btminer_since = 0.0
    session = V2Session(miner)
    assert (await session.send("restart_btminer"))["Code"] == 131
    summary = (await command(miner, "summary"))["SUMMARY"][0]
    assert summary["Elapsed"] < 5
    assert summary["Uptime"] >= 5000
    await session.login()
    raw = await exchange(miner, session.encrypt({"cmd": "reboot", "token": session.sign}))
    assert raw == b""  # the firmware closes without a reply
    await miner.wait_until_down(timeout=2)
    await miner.wait_until_up(timeout=5)
    assert (await command(miner, "summary"))["SUMMARY"][0]["Uptime"] < 5
    expired = await session.send("set_low_power")  # tokens do not survive a reboot
    assert expired["Code"] == 135


NEW_BUILD = "20240610.12.REL"


def firmware_image(stored_name: str) -> bytes:
    """A gzip file whose header keeps ``stored_name``, as ``gzip``/``tar czf`` write it."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename=stored_name, mode="wb", fileobj=buffer, mtime=0) as packed:
        packed.write(b"ustar image body " * 200)
    return buffer.getvalue()


def sized(image: bytes) -> bytes:
    return struct.pack("<I", len(image)) + image


async def upgrade_on_one_connection(
    session: V2Session, image: bytes
) -> tuple[dict[str, Any], bytes]:
    """``upgrade_firmware``, then the file on the same connection: (decrypted ready, the rest)."""
    await session.login()
    reader, writer = await asyncio.open_connection(session.miner.host, session.miner.ports["rpc"])
    try:
        writer.write(session.encrypt({"cmd": "upgrade_firmware", "token": session.sign}))
        await writer.drain()
        ready = decode(await asyncio.wait_for(reader.readuntil(b"\x00"), 2))
        writer.write(sized(image))
        writer.write_eof()
        await writer.drain()
        after = await asyncio.wait_for(reader.read(), 2)
    finally:
        writer.close()
    return session.decrypt(ready), after


async def firmware_shown(miner: SimulatedMiner) -> tuple[str, str, str]:
    """The build in ``get_version``, ``summary`` and ``status``."""
    version = (await command(miner, "get_version"))["Msg"]["fw_ver"]
    summary = (await command(miner, "summary"))["SUMMARY"][0]["Firmware Version"]
    status = (await command(miner, "status"))["Msg"]["FirmwareVersion"]
    return version, summary, status


async def test_upgrade_firmware_on_the_same_connection(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    assert isinstance(miner, WhatsminerMiner)
    old = miner.firmware
    miner.state.uptime = 5000.0
    ready, after = await upgrade_on_one_connection(
        V2Session(miner), firmware_image(f"whatsminer-m3x-{NEW_BUILD}.tar")
    )
    assert (ready["STATUS"], ready["Msg"]) == ("S", "ready")
    assert after == b""  # no reply: the miner flashes and reboots
    await miner.wait_until_down(timeout=2)
    await miner.wait_until_up(timeout=5)
    assert await firmware_shown(miner) == (NEW_BUILD, f"'{NEW_BUILD}'", NEW_BUILD)
    assert old != NEW_BUILD
    assert (await command(miner, "summary"))["SUMMARY"][0]["Uptime"] < 5
    assert miner.state.firmware_updates == 1
    assert miner.last_upload is not None
    assert miner.last_upload["build"] == NEW_BUILD


async def test_upgrade_firmware_file_on_a_new_connection(sim: Simulator) -> None:
    """pyasic sends the size-prefixed file on a new connection after ``ready``."""
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    session = V2Session(miner)
    assert (await session.send("upgrade_firmware"))["Msg"] == "ready"
    # A JSON request on the next connection is still answered as usual.
    assert (await command(miner, "get_version"))["Msg"]["fw_ver"] != NEW_BUILD
    assert (await session.send("upgrade_firmware"))["Msg"] == "ready"
    assert await exchange(miner, sized(firmware_image(f"{NEW_BUILD}.tgz"))) == b""
    await miner.wait_until_down(timeout=2)
    await miner.wait_until_up(timeout=5)
    assert (await firmware_shown(miner))[0] == NEW_BUILD


async def test_upgrade_firmware_refuses_a_wrong_file(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    assert isinstance(miner, WhatsminerMiner)
    before = await firmware_shown(miner)
    wrong_files = (
        b"\x7fELF not an upgrade image" * 10,  # not gzip
        firmware_image("backup.tar"),  # gzip, but names no build
        gzip.compress(b"no stored name", mtime=0),  # gzip without a file name
    )
    for wrong in wrong_files:
        ready, after = await upgrade_on_one_connection(V2Session(miner), wrong)
        assert ready["Msg"] == "ready"
        refused = decode(after)
        assert (refused["STATUS"], refused["Code"], refused["Msg"]) == (
            "E",
            132,
            "API command ERROR",
        )
    assert miner.is_up
    assert await firmware_shown(miner) == before
    assert miner.state.firmware_updates == 0
    assert miner.state.reboot_count == 0


async def test_upgrade_firmware_faults(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    assert isinstance(miner, WhatsminerMiner)
    old = miner.firmware
    image = firmware_image(f"{NEW_BUILD}.tar")

    miner.set_fault(Fault.FIRMWARE_REJECTED)
    _, after = await upgrade_on_one_connection(V2Session(miner), image)
    assert decode(after)["Code"] == 132
    assert miner.is_up
    assert (await firmware_shown(miner))[0] == old
    miner.clear_fault()

    miner.set_fault(Fault.WRONG_VERSION_AFTER_OTA)
    assert (await upgrade_on_one_connection(V2Session(miner), image))[1] == b""
    await miner.wait_until_down(timeout=2)
    await miner.wait_until_up(timeout=5)
    assert (await firmware_shown(miner))[0] == old
    miner.clear_fault()

    miner.set_fault(Fault.NEVER_RETURNS)
    assert (await upgrade_on_one_connection(V2Session(miner), image))[1] == b""
    await miner.wait_until_down(timeout=2)
    await asyncio.sleep(REBOOT_SECONDS * 3)
    assert miner.describe()["up"] is False
    miner.clear_fault(Fault.NEVER_RETURNS)
    await miner.wait_until_up(timeout=5)
    assert (await firmware_shown(miner))[0] == NEW_BUILD
    assert miner.state.firmware_updates == 2


async def test_upgrade_firmware_needs_the_privileged_api(sim: Simulator) -> None:
    image = sized(firmware_image(f"{NEW_BUILD}.tar"))
    locked = await sim.start(MinerSpec(family="whatsminer", model="M30S"))
    refused = await V2Session(locked, "admin").send("upgrade_firmware")
    assert (refused["STATUS"], refused["Code"], refused["Msg"]) == (
        "E",
        45,
        "can't access write cmd",
    )
    plain = await command(locked, "upgrade_firmware")
    assert (plain["Code"], plain["Msg"]) == (45, "can't access write cmd")
    # Nothing waits for a file: the bytes are read as a request, and are no JSON.
    assert decode(await exchange(locked, image))["Code"] == 23

    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    miner.set_fault(Fault.PRIVILEGED_LOCKED)
    assert (await V2Session(miner).send("upgrade_firmware"))["Code"] == 45
    miner.clear_fault()
    wrong_password = await V2Session(miner, "admin").send("upgrade_firmware")
    assert (wrong_password["Code"], wrong_password["Msg"]) == (23, "enc json load err")
    session = V2Session(miner)
    await session.login()
    session.sign = "forged" + session.sign[6:]
    assert (await session.send("upgrade_firmware"))["Code"] == 135
    assert decode(await exchange(miner, image))["Code"] == 23
    for refused_miner in (locked, miner):
        assert refused_miner.is_up
        assert (await firmware_shown(refused_miner))[0] != NEW_BUILD
        assert refused_miner.state.firmware_updates == 0


async def test_update_pwd_unlocks(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M30S", password=PASSWORD))
    changed = await V2Session(miner).send("update_pwd", old=PASSWORD, new="newpass1")
    assert changed["Code"] == 131
    assert miner.credentials() == {"username": "admin", "password": "newpass1"}
    assert (await V2Session(miner, "newpass1").send("set_high_power"))["Code"] == 131
    assert (await command(miner, "summary"))["SUMMARY"][0]["Power Mode"] == "High"


async def test_legacy_firmware_has_no_power_limit_command(sim: Simulator) -> None:
    miner = await sim.start(
        MinerSpec(family="whatsminer", model="M30S", legacy=True, password=PASSWORD)
    )
    refused = await V2Session(miner).send("adjust_power_limit", power_limit="3000")
    assert (refused["Code"], refused["Msg"]) == (14, "invalid cmd")


# --- API v3 -----------------------------------------------------------------------------------


async def test_v3_reads(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M60S", api="v3"))
    assert set(miner.ports) == {"web", "rpc", "rpc_v3", "https"}
    assert miner.credentials() == {"username": "super", "password": "super"}
    info = await v3(miner, {"cmd": "get.device.info"})
    assert (info["code"], info["desc"]) == (0, "get.device.info")
    msg = info["msg"]
    assert len(msg["salt"]) == 8
    assert msg["network"]["mac"] == miner.mac
    assert msg["miner"]["type"] == "M60S_VK30"
    assert msg["system"]["fwversion"] == miner.as_json()["firmware"]
    assert set((await v3(miner, {"cmd": "get.device.info", "param": "salt"}))["msg"]) == {"salt"}
    status = await v3(miner, {"cmd": "get.miner.status", "param": "summary+pools+edevs"})
    summary = status["msg"]["summary"]
    assert 150 < summary["hash-realtime"] < 195  # TH/s
    assert summary["factory-hash"] == 172.0
    for key in ("power-realtime", "power-limit", "fan-speed-in", "fan-speed-out", "elapsed"):
        assert isinstance(summary[key], int)
    assert isinstance(summary["environment-temperature"], float)
    assert len(status["msg"]["edevs"]) == 3
    assert status["msg"]["pools"][0]["url"].startswith("stratum+tcp://")
    unknown = await v3(miner, {"cmd": "get.nothing"})
    assert (unknown["code"], unknown["msg"]) == (-2, "invalid command")
    assert (await v3(miner, {"cmd": "get.miner.status", "param": "nope"}))["code"] == -1


async def test_v3_signed_writes(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M60S", api="v3"))

    async def summary() -> dict[str, Any]:
        reply = await v3(miner, {"cmd": "get.miner.status", "param": "summary"})
        result: dict[str, Any] = reply["msg"]["summary"]
        return result

    assert (await v3_write(miner, "set.miner.power_limit", 2500))["code"] == 0
    limited = await summary()
    assert limited["power-limit"] == 2500
    assert limited["power-realtime"] <= 2500
    assert (await v3_write(miner, "set.miner.power_limit", 100000))["code"] == -1
    assert (await v3_write(miner, "set.miner.power_mode", "low"))["code"] == 0
    setting = await v3(miner, {"cmd": "get.miner.setting"})
    assert setting["msg"]["power-mode"] == "low"
    assert (await v3_write(miner, "set.miner.service", "stop"))["code"] == 0
    assert (await summary())["hash-realtime"] == 0.0
    assert (await v3_write(miner, "set.miner.service", "start"))["code"] == 0
    assert (await summary())["hash-realtime"] > 0
    led = [{"color": "red", "period": 200, "duration": 100, "start": 0}]
    assert (await v3_write(miner, "set.system.led", led))["code"] == 0
    info = await v3(miner, {"cmd": "get.device.info", "param": "system"})
    assert info["msg"]["system"]["ledstatus"] == "manual"
    pools = [{"pool": "stratum+tcp://v3.example:3333", "worker": "me.v3", "passwd": "x"}]
    assert (await v3_write(miner, "set.miner.pools", pools, encrypt=True))["code"] == 0
    status = await v3(miner, {"cmd": "get.miner.status", "param": "pools"})
    assert [(pool["url"], pool["account"]) for pool in status["msg"]["pools"]] == [
        ("stratum+tcp://v3.example:3333", "me.v3")
    ]
    ok = await v3_write(miner, "set.system.reboot")
    assert (ok["code"], ok["desc"]) == (0, "set.system.reboot")
    await miner.wait_until_down(timeout=2)
    await miner.wait_until_up(timeout=5)
    assert (await summary())["elapsed"] < 5


async def test_v3_refuses_bad_tokens_and_stale_timestamps(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M60S", api="v3"))
    wrong = await v3_write(miner, "set.miner.power_mode", "low", password="admin")
    assert (wrong["code"], wrong["msg"]) == (-4, "no permission")
    stale = await v3_write(miner, "set.miner.power_mode", "low", ts=int(time.time()) - 3600)
    assert stale["code"] == -4
    unsigned = await v3(miner, {"cmd": "set.miner.power_mode", "param": "low"})
    assert unsigned["code"] == -4
    setting = await v3(miner, {"cmd": "get.miner.setting"})
    assert setting["msg"]["power-mode"] == "normal"
    custom = await sim.start(
        MinerSpec(family="whatsminer", model="M63S", firmware="20250214.16.Rel", password="pw123")
    )
    assert "rpc_v3" in custom.ports  # firmware after 2024-11 speaks v3
    assert (await v3_write(custom, "set.miner.power_mode", "high", password="pw123"))["code"] == 0


async def test_v3_firmware_on_port_4028(sim: Simulator) -> None:
    """What is left of API v2 on v3 firmware: pools and a thin summary, no writes."""
    miner = await sim.start(MinerSpec(family="whatsminer", model="M60S", api="v3"))
    summary = (await command(miner, "summary"))["SUMMARY"][0]
    assert "MHS av" in summary
    assert "Elapsed" in summary
    assert "Power" not in summary
    assert (await command(miner, "pools"))["STATUS"][0]["Code"] == 7
    assert (await command(miner, "devs"))["Code"] == 14
    assert "api_ver" not in (await command(miner, "get_version"))["Msg"]
    refused = await V2Session(miner, "super").send("set_low_power")
    assert refused["Msg"] == "can't access write cmd"


async def test_v2_firmware_has_no_v3_port(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M50S"))
    assert set(miner.ports) == {"web", "rpc", "https"}


# --- faults, web, fleets ------------------------------------------------------------------------


async def test_faults_on_both_rpc_ports(sim: Simulator) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M60S", api="v3"))
    request = json.dumps({"cmd": "get.device.info"}).encode()
    miner.set_fault(Fault.TRUNCATED, path="get.device.info")
    raw = await v3_exchange(miner, request)
    assert int.from_bytes(raw[:4], "little") > len(raw) - 4
    miner.clear_fault()
    miner.set_fault(Fault.BAD_JSON)
    raw = await v3_exchange(miner, request)
    assert int.from_bytes(raw[:4], "little") == len(raw) - 4
    with pytest.raises(ValueError):
        json.loads(raw[4:])
    miner.clear_fault()
    miner.set_fault(Fault.RESET)
    try:
        raw = await v3_exchange(miner, request)
    except ConnectionError:  # an abort reads as a reset or as an empty close
        raw = b""
    assert raw == b""
    assert await exchange(miner, b'{"command":"summary"}') == b""
    miner.clear_fault()
    miner.set_fault(Fault.SLOW, delay=0.3, path="summary")
    started = time.monotonic()
    await command(miner, "summary")
    assert time.monotonic() - started >= 0.3
    await command(miner, "pools")
    miner.set_fault(Fault.HANG, path="get.miner.status")
    with pytest.raises(TimeoutError):
        await v3_exchange(miner, json.dumps({"cmd": "get.miner.status"}).encode(), timeout=0.3)
    miner.clear_fault()
    miner.set_fault(Fault.TRAILING_COMMA)
    with pytest.raises(ValueError):
        decode(await exchange(miner, b'{"command":"summary"}'))
    miner.set_fault(Fault.OFFLINE)
    for port in ("rpc", "rpc_v3"):
        with pytest.raises(OSError):
            await asyncio.open_connection(miner.host, miner.ports[port])
    miner.clear_fault()
    assert (await v3(miner, {"cmd": "get.device.info"}))["code"] == 0


@pytest.mark.parametrize("api", ["v2", "v3"])
async def test_web_redirects_to_luci_over_https(sim: Simulator, api: str) -> None:
    miner = await sim.start(MinerSpec(family="whatsminer", model="M60S", api=api))
    https = miner.ports["https"]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://{miner.host}:{miner.port}/", allow_redirects=False) as response,
    ):
        assert response.status == 307
        location = response.headers["Location"]
        assert location == f"https://{miner.host}:{https}/cgi-bin/luci"  # 443: no port
    # A client that follows the redirect (certificate not verified, as for any miner) lands on
    # the LuCI login page over TLS.
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http,
        http.get(f"http://{miner.host}:{miner.port}/any/path") as followed,
    ):
        assert followed.status == 200
        assert str(followed.url) == location
        assert [hop.status for hop in followed.history] == [307]
        page = await followed.text()
        assert "/cgi-bin/luci" in page
        assert "LuCI" in page
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http,
        http.get(f"https://{miner.host}:{https}/", allow_redirects=False) as root,
        http.get(f"https://{miner.host}:{https}/nothing") as missing,
    ):
        assert (root.status, root.headers["Location"]) == (302, "/cgi-bin/luci")
        assert missing.status == 404
    # Plain http on the TLS port is not answered as a page.
    with pytest.raises(aiohttp.ClientError):
        async with aiohttp.ClientSession() as http, http.get(f"http://{miner.host}:{https}/"):
            pass
    miner.set_fault(Fault.OFFLINE)
    await miner.wait_until_down()
    with pytest.raises(OSError):
        await asyncio.open_connection(miner.host, https)


def test_fleet_entries() -> None:
    specs = parse_fleet(
        '[{"family": "whatsminer", "model": "M66S", "api": "v2", "password_changed": true}]',
        yaml_syntax=False,
    )
    assert specs == [MinerSpec(family="whatsminer", model="M66S", api="v2", password_changed=True)]
    with pytest.raises(ValueError, match="password_changed"):
        parse_fleet('[{"family": "whatsminer", "password_changed": "yes"}]', yaml_syntax=False)
    demo = [spec for spec in load_fleet("demo") if spec.family == "whatsminer"]
    assert {(spec.model, spec.api) for spec in demo} == {("M30S", "v2"), ("M60S", "v3")}
    assert {spec.model for spec in load_fleet("whatsminer")} >= {"M30S", "M50S", "M60S", "M66S"}


async def test_demo_miners_print_their_credentials(sim: Simulator) -> None:
    for spec in (spec for spec in load_fleet("demo") if spec.family == "whatsminer"):
        line = (await sim.start(spec)).as_json()
        assert line["credentials"]["password"] == spec.password
        if spec.api == "v3":
            assert line["credentials"]["username"] == "super"
            assert "rpc_v3" in line["ports"]
        else:
            assert line["credentials"]["username"] == "admin"
            assert set(line["ports"]) == {"web", "rpc", "https"}


async def test_unknown_model_and_api_are_errors(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="M30S"):
        await sim.start(MinerSpec(family="whatsminer", model="M99"))
    with pytest.raises(ValueError, match="v2 or v3"):
        await sim.start(MinerSpec(family="whatsminer", model="M30S", api="v4"))
