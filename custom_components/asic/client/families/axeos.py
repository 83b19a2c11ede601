"""ESP-Miner / AxeOS: Bitaxe, NerdAxe, LuckyMiner and other open-source boards.

Poll plan: one ``GET /api/system/info`` per poll. ``GET /api/system/asic`` (newer firmware)
is read once at connect for the model name and the frequency and voltage choices.
Writes: ``PATCH /api/system`` with only the keys that change, so nothing else is touched.
Pools: up to 2.14 as ``stratumURL``/``fallbackStratumURL`` keys; 2.15 keeps a ``pools`` list
(reported in ``/api/system/info``) and ignores the old keys, so it is written as that list.
A pool write first reads ``info`` to learn which of the two the board is, and its slots.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import logging
from pathlib import Path
from typing import Any

from ..errors import (
    MinerCommandError,
    MinerConnectionError,
    MinerError,
    MinerFirmwareError,
    MinerProtocolError,
    MinerUnsupportedError,
)
from ..miner import FirmwarePart, Miner, ProgressCallback, iter_file
from ..models import (
    Board,
    Capabilities,
    Family,
    Fan,
    MinerData,
    NumberRange,
    Pool,
    PoolConfig,
    ReportedError,
    efficiency,
)
from ..transport.http import HttpTransport
from ..units import as_bool, as_float, as_int, as_str, parse_difficulty, positive

_LOGGER = logging.getLogger(__name__)

ESP32_IMAGE_MAGIC = 0xE9
# esp_app_desc_t follows the image header (24 bytes) and the first segment header (8 bytes).
ESP32_APP_DESC_MAGIC = (0xABCD5432).to_bytes(4, "little")
ESP32_APP_DESC_OFFSET = 32
FIRMWARE_UPLOAD_TIMEOUT = 300.0
# From 2.15 on the board also restarts after www.bin ("WWW update complete, rebooting now!"):
# esp-miner.bin must wait until it answers again. Module constants so tests can shorten them.
RESTART_WAIT_TIMEOUT = 180.0
RESTART_POLL_INTERVAL = 2.0


@dataclass(frozen=True, slots=True)
class AsicChip:
    """Per-ASIC facts of ESP-Miner: the UI's frequency (MHz) and core voltage (mV) choices."""

    frequencies: tuple[int, ...]
    voltages: tuple[int, ...]


ASIC_CHIPS: dict[str, AsicChip] = {
    "BM1397": AsicChip((400, 425, 450, 475, 485, 500, 525, 550, 575, 600), (1100, 1500)),
    "BM1366": AsicChip((400, 425, 450, 475, 485, 500, 525, 550, 575), (1100, 1300)),
    "BM1368": AsicChip((400, 425, 450, 475, 485, 490, 500, 525, 550, 575), (1100, 1300)),
    "BM1370": AsicChip((350, 400, 490, 525, 550, 600, 625), (1000, 1250)),
    "BM1372/BM1373": AsicChip((327, 350, 375, 380, 400, 410), (1000, 1250)),
}

# boardVersion → board family name, for firmware that does not name its device itself.
BITAXE_BOARDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("2.2", "102"), "Bitaxe Max"),
    (("0.11", "201", "202", "203", "204", "205", "207"), "Bitaxe Ultra"),
    (("302", "303"), "Bitaxe Hex"),
    (("400", "401", "402", "403"), "Bitaxe Supra"),
    (("600", "601", "602", "603"), "Bitaxe Gamma"),
    (("650",), "Bitaxe Gamma Duo"),
    (("701", "702"), "Bitaxe Supra Hex"),
    (("800", "801"), "Bitaxe GT"),
)


# ESP-Miner's device family names (``deviceModel``) that differ from the names on the box.
BITAXE_FAMILY_NAMES: dict[str, str] = {
    "GammaTurbo": "Bitaxe GT",
    "GammaDuo": "Bitaxe Gamma Duo",
    "SupraHex": "Bitaxe Supra Hex",
}


def model_name(info: Mapping[str, Any], asic_info: Mapping[str, Any] | None = None) -> str:
    """The board's name as its firmware or our board table knows it."""
    named = as_str(info.get("deviceModel")) or as_str((asic_info or {}).get("deviceModel"))
    if named:
        if named in BITAXE_FAMILY_NAMES:
            return BITAXE_FAMILY_NAMES[named]
        return named if " " in named or "axe" in named.lower() else f"Bitaxe {named}"
    board = as_str(info.get("boardVersion"))
    for versions, name in BITAXE_BOARDS:
        if board in versions:
            return name
    chip = as_str(info.get("ASICModel"))
    return f"AxeOS board ({chip})" if chip else "AxeOS board"


def is_axeos_info(payload: Any) -> bool:
    """Whether a ``/api/system/info`` reply is ESP-Miner's."""
    return isinstance(payload, dict) and "ASICModel" in payload and "hashRate" in payload


def capabilities_for(
    info: Mapping[str, Any], asic_info: Mapping[str, Any] | None = None
) -> Capabilities:
    chip = ASIC_CHIPS.get(as_str(info.get("ASICModel")) or "")
    frequencies = _int_options((asic_info or {}).get("frequencyOptions")) or (
        chip.frequencies if chip else ()
    )
    voltages = _int_options((asic_info or {}).get("voltageOptions")) or (
        chip.voltages if chip else ()
    )
    return Capabilities(
        mining_switch="miningPaused" in info,
        identify=True,
        reboot=True,
        pools=True,
        fan_control=NumberRange(0, 100, 1),
        frequency=NumberRange(min(frequencies), max(frequencies), 1) if frequencies else None,
        core_voltage=NumberRange(min(voltages), max(voltages), 1) if voltages else None,
        firmware_update=True,
    )


def _int_options(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(number for item in value if (number := as_int(item)) is not None and number > 0)


def parse_info(
    info: Mapping[str, Any],
    asic_info: Mapping[str, Any] | None = None,
    capabilities: Capabilities | None = None,
) -> MinerData:
    """Turn one ``/api/system/info`` reply into ``MinerData``."""
    if not isinstance(info, Mapping) or not is_axeos_info(info):
        raise MinerProtocolError("The reply to /api/system/info is not an AxeOS system info")
    hashrate_gh = as_float(info.get("hashRate"))
    hashrate = hashrate_gh / 1000 if hashrate_gh is not None else None
    expected_gh = as_float(info.get("expectedHashrate")) or _expected_gh(info)
    power = positive(as_float(info.get("power")))
    chip_temp = positive(as_float(info.get("temp")))
    paused = as_bool(info.get("miningPaused"))
    # 2.4 reports the chip count in the info, later versions only in /api/system/asic.
    chips = as_int(info.get("asicCount"))
    if chips is None and asic_info is not None:
        chips = as_int(asic_info.get("asicCount"))
    fan_percent = as_float(info.get("fanspeed"))
    fans = [Fan(0, rpm=as_int(info.get("fanrpm")), percent=fan_percent)]
    # Firmware 2.12+ reports fan2rpm on every board, 0 where no second fan is fitted.
    fan2_rpm = as_int(info.get("fan2rpm"))
    if fan2_rpm:
        fans.append(Fan(1, rpm=fan2_rpm, percent=fan_percent))
    voltage_mv = positive(as_float(info.get("voltage")))
    current_ma = as_float(info.get("current"))
    return MinerData(
        family=Family.AXEOS,
        model=model_name(info, asic_info),
        firmware_version=as_str(info.get("version")),
        mac=as_str(info.get("macAddr")),
        hostname=as_str(info.get("hostname")),
        hashrate=hashrate,
        expected_hashrate=expected_gh / 1000 if expected_gh is not None else None,
        power=power,
        efficiency=efficiency(power, hashrate),
        chip_temp_max=chip_temp,
        chip_temp_avg=chip_temp,
        vr_temp=positive(as_float(info.get("vrTemp"))),
        input_voltage=voltage_mv / 1000 if voltage_mv is not None else None,
        input_current=current_ma / 1000 if current_ma is not None else None,
        frequency=positive(as_float(info.get("frequency"))),
        core_voltage=positive(as_float(info.get("coreVoltage"))),
        core_voltage_actual=positive(as_float(info.get("coreVoltageActual"))),
        fan_auto=as_bool(info.get("autofanspeed")),
        uptime=as_int(info.get("uptimeSeconds")),
        is_mining=(not paused) if paused is not None else (hashrate or 0) > 0,
        shares_accepted=as_int(info.get("sharesAccepted")),
        shares_rejected=as_int(info.get("sharesRejected")),
        best_difficulty=parse_difficulty(info.get("bestDiff")),
        best_session_difficulty=parse_difficulty(info.get("bestSessionDiff")),
        using_fallback_pool=as_bool(info.get("isUsingFallbackStratum")),
        asic_model=as_str(info.get("ASICModel")),
        board_version=as_str(info.get("boardVersion")),
        web_version=as_str(info.get("axeOSVersion")),
        fans=tuple(fans),
        boards=(
            Board(
                0,
                hashrate=hashrate,
                expected_hashrate=expected_gh / 1000 if expected_gh is not None else None,
                chip_temp=chip_temp,
                chips=chips,
                expected_chips=chips,
            ),
        ),
        pools=_pools(info),
        errors=_errors(info),
        capabilities=capabilities or capabilities_for(info, asic_info),
    )


def _expected_gh(info: Mapping[str, Any]) -> float | None:
    """Older firmware does not report it; ESP-Miner computes it as MHz × small cores × chips."""
    frequency = as_float(info.get("frequency"))
    cores = as_float(info.get("smallCoreCount"))
    chips = as_float(info.get("asicCount"))
    if not (frequency and cores and chips):
        return None
    return frequency * cores * chips / 1000


def _pool_url(url: str | None, port: int | None) -> str | None:
    if not url:
        return None
    if "://" not in url:
        url = f"stratum+tcp://{url}"
    return f"{url}:{port}" if port else url


def _pools(info: Mapping[str, Any]) -> tuple[Pool, ...]:
    fallback_active = as_bool(info.get("isUsingFallbackStratum"))
    pools: list[Pool] = []
    for index, prefix in enumerate(("stratum", "fallbackStratum")):
        url = _pool_url(as_str(info.get(f"{prefix}URL")), as_int(info.get(f"{prefix}Port")))
        if url is None:
            continue
        active = None if fallback_active is None else fallback_active == (index == 1)
        pools.append(
            Pool(
                index=index,
                url=url,
                user=as_str(info.get(f"{prefix}User")),
                active=active,
                accepted=as_int(info.get("sharesAccepted")) if active else None,
                rejected=as_int(info.get("sharesRejected")) if active else None,
            )
        )
    return tuple(pools)


def _errors(info: Mapping[str, Any]) -> tuple[ReportedError, ...]:
    errors = [
        ReportedError(key, message)
        for key in ("power_fault", "hardware_fault")
        if (message := as_str(info.get(key)))
    ]
    if as_int(info.get("overheat_mode")):
        errors.append(ReportedError("overheat", "Overheat protection is active"))
    return tuple(errors)


# What a 2.15 slot keeps besides URL, port, user and password. The firmware replaces a slot's
# record whole on a write, so these are sent back as read to leave them as they were.
SLOT_KEPT_FIELDS = (
    "stratumProtocol",
    "stratumSuggestedDifficulty",
    "stratumExtranonceSubscribe",
    "stratumTLS",
    "stratumCert",
    "stratumDecodeCoinbase",
    "stratumV2ChannelType",
    "stratumV2AuthorityPubkey",
    "stratumV2RequireAuth",
)


def _slot_settings(info: Mapping[str, Any], slot: int) -> dict[str, Any]:
    """The kept fields of slot ``slot`` as ``info`` reports it (nothing for an empty slot)."""
    for item in info.get("pools") or ():
        if isinstance(item, Mapping) and as_int(item.get("id")) == slot:
            return {key: item[key] for key in SLOT_KEPT_FIELDS if key in item}
    return {}


def _pool_slots(info: Mapping[str, Any]) -> tuple[int, int] | None:
    """The primary and fallback slot ids where the firmware keeps a ``pools`` list."""
    if not isinstance(info.get("pools"), list):
        return None
    primary = as_int(info.get("primaryPoolIndex"))
    fallback = as_int(info.get("secondaryPoolIndex"))
    return (0 if primary is None else primary, 1 if fallback is None else fallback)


def split_stratum_url(url: str) -> tuple[str, int | None]:
    """``stratum+tcp://pool:3333`` → (``pool``, 3333); AxeOS stores host and port apart."""
    rest = url.split("://", 1)[1] if "://" in url else url
    host, sep, port = rest.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return rest, None


class AxeOSMiner(Miner):
    """An ESP-Miner board spoken to through its REST API (no authentication)."""

    family = Family.AXEOS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = HttpTransport(self.session, self.host, self.port, timeout=self.timeout)
        self._asic_info: Mapping[str, Any] | None = None
        self._asic_info_read = False
        self._capabilities: Capabilities | None = None

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities or Capabilities()

    async def read(self) -> MinerData:
        async with self.lock:
            if not self._asic_info_read:
                self._asic_info = await self._read_asic_info()
                self._asic_info_read = True
            info = await self.http.get_json("/api/system/info")
        if not isinstance(info, dict) or not is_axeos_info(info):
            raise MinerProtocolError(f"{self.host} did not answer as an AxeOS miner")
        data = parse_info(info, self._asic_info)
        self._capabilities = data.capabilities
        return data

    async def _read_asic_info(self) -> Mapping[str, Any] | None:
        """Older firmware has no ``/api/system/asic``; its absence is not an error."""
        try:
            payload = await self.http.get_json("/api/system/asic")
        except (MinerUnsupportedError, MinerCommandError, MinerProtocolError):
            return None
        return payload if isinstance(payload, dict) else None

    async def _post(self, path: str) -> None:
        async with self.lock:
            await self.http.send("POST", path)

    async def _patch(self, settings: Mapping[str, Any]) -> None:
        async with self.lock:
            await self.http.send("PATCH", "/api/system", dict(settings))

    async def set_mining(self, enabled: bool) -> None:
        await self._post("/api/system/resume" if enabled else "/api/system/pause")

    async def reboot(self) -> None:
        await self._post("/api/system/restart")

    async def identify(self) -> None:
        await self._post("/api/system/identify")

    async def set_fan(self, *, auto: bool, percent: float | None = None) -> None:
        settings: dict[str, Any] = {"autofanspeed": 1 if auto else 0}
        if percent is not None:
            self._check_range("fan speed", percent, self.capabilities.fan_control)
            # Older firmware names the manual speed "fanspeed", newer "manualFanSpeed";
            # each ignores the key it does not know.
            settings["fanspeed"] = settings["manualFanSpeed"] = round(percent)
        await self._patch(settings)

    async def set_frequency(self, mhz: float) -> None:
        self._check_range("frequency", mhz, self.capabilities.frequency)
        await self._patch({"frequency": int(mhz) if float(mhz).is_integer() else mhz})

    async def set_core_voltage(self, millivolts: float) -> None:
        self._check_range("core voltage", millivolts, self.capabilities.core_voltage)
        await self._patch({"coreVoltage": round(millivolts)})

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not pools:
            raise MinerCommandError("At least one pool is needed")
        if len(pools) > 2:
            raise MinerCommandError("AxeOS boards take two pools: a primary and a fallback")
        stored: list[tuple[str, int, PoolConfig]] = []
        for pool in pools:
            host, port = split_stratum_url(pool.url)
            if port is None:
                raise MinerCommandError(f"The pool URL {pool.url!r} has no port")
            stored.append((host, port, pool))
        # Fresh, not from the last poll: the firmware may have changed since (an update to
        # 2.15 would otherwise get the old keys, which it ignores without an error).
        async with self.lock:
            info = await self.http.get_json("/api/system/info")
        if not isinstance(info, dict) or not is_axeos_info(info):
            raise MinerProtocolError(f"{self.host} did not answer as an AxeOS miner")
        slots = _pool_slots(info)
        if slots is not None:
            settings: dict[str, Any] = {
                "pools": [
                    {
                        "id": slot,
                        **_slot_settings(info, slot),
                        "stratumURL": host,
                        "stratumPort": port,
                        "stratumUser": pool.user,
                        "stratumPassword": pool.password,
                    }
                    for slot, (host, port, pool) in zip(slots, stored, strict=False)
                ]
            }
        else:
            settings = {}
            for prefix, (host, port, pool) in zip(
                ("stratum", "fallbackStratum"), stored, strict=False
            ):
                settings |= {
                    f"{prefix}URL": host,
                    f"{prefix}Port": port,
                    f"{prefix}User": pool.user,
                    f"{prefix}Password": pool.password,
                }
        await self._patch(settings)

    @staticmethod
    def _check_range(what: str, value: float, allowed: NumberRange | None) -> None:
        if allowed is not None and not allowed.contains(value):
            raise MinerCommandError(
                f"A {what} of {value:g} is outside this board's range "
                f"{allowed.min:g}–{allowed.max:g}"
            )

    async def install_firmware(
        self, parts: Sequence[FirmwarePart], progress: ProgressCallback | None = None
    ) -> None:
        """Upload ``www`` (web UI) first, then ``app`` (esp-miner.bin); the board then reboots."""
        order = {"www": 0, "app": 1}
        unknown = [part.kind for part in parts if part.kind not in order]
        if unknown or not parts:
            raise MinerFirmwareError(
                f"AxeOS takes a www.bin and an esp-miner.bin, not {unknown or 'nothing'}"
            )
        ordered = sorted(parts, key=lambda part: order[part.kind])
        for part in ordered:
            await _check_part(part)
        sizes = [part.size for part in ordered]
        total = sum(sizes)
        done = 0
        for index, (part, size) in enumerate(zip(ordered, sizes, strict=True)):

            def report(sent: int, _size: int, offset: int = done) -> None:
                if progress is not None:
                    progress(offset + sent, total)

            path = "/api/system/OTAWWW" if part.kind == "www" else "/api/system/OTA"
            _LOGGER.debug("Uploading %s (%d bytes) to %s%s", part.path.name, size, self.host, path)
            async with self.lock:
                status, body = await self.http.upload(
                    path, iter_file(part.path), size, report, timeout=FIRMWARE_UPLOAD_TIMEOUT
                )
            if not 200 <= status < 300:
                text = body.decode("utf-8", "replace").strip()[:200] or f"HTTP {status}"
                raise MinerFirmwareError(f"The miner refused {part.path.name}: {text}")
            done += size
            if index < len(ordered) - 1 and b"reboot" in body.lower():
                await self._wait_for_restart(part.path.name)

    async def _wait_for_restart(self, after: str) -> None:
        """Return once the board answers from a new boot (it restarts a moment after replying).

        A new boot shows as an answer after a failed one, or as an uptime shorter than the
        time since ``after`` was accepted.
        """
        loop = asyncio.get_running_loop()
        accepted = loop.time()
        seen_down = False
        while loop.time() - accepted < RESTART_WAIT_TIMEOUT:
            await asyncio.sleep(RESTART_POLL_INTERVAL)
            try:
                async with self.lock:
                    info = await self.http.get_json("/api/system/info")
            except MinerError:
                seen_down = True
                continue
            uptime = as_int(info.get("uptimeSeconds")) if isinstance(info, dict) else None
            if seen_down or (uptime is not None and uptime < loop.time() - accepted):
                return
        raise MinerConnectionError(
            f"{self.host} did not come back within {RESTART_WAIT_TIMEOUT:g} s after taking "
            f"{after}; check that it is powered and on the network, then try again"
        )


def _read_head(path: Path, size: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def is_esp32_app_image(head: bytes) -> bool:
    """Whether a file starts like an ESP-IDF application image (esp-miner.bin)."""
    desc = head[ESP32_APP_DESC_OFFSET : ESP32_APP_DESC_OFFSET + len(ESP32_APP_DESC_MAGIC)]
    return len(head) > 0 and head[0] == ESP32_IMAGE_MAGIC and desc == ESP32_APP_DESC_MAGIC


async def _check_part(part: FirmwarePart) -> None:
    """Refuse a file that cannot be what its slot takes, before a byte is sent."""
    try:
        head = await asyncio.to_thread(
            _read_head, part.path, ESP32_APP_DESC_OFFSET + len(ESP32_APP_DESC_MAGIC)
        )
    except OSError as err:
        raise MinerFirmwareError(f"Cannot read {part.path.name}: {err}") from err
    if not head:
        raise MinerFirmwareError(f"{part.path.name} is empty")
    if part.kind == "app" and not is_esp32_app_image(head):
        raise MinerFirmwareError(
            f"{part.path.name} is not an ESP32 firmware image (esp-miner.bin expected)"
        )
    if part.kind == "www" and is_esp32_app_image(head):
        # Written to the web partition, the firmware would leave the board without its web UI.
        raise MinerFirmwareError(
            f"{part.path.name} is a firmware image, not the web UI (www.bin expected)"
        )
