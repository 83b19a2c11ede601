"""ESP-Miner / AxeOS boards (Bitaxe, NerdAxe, LuckyMiner...): the REST API on port 80.

Reply shapes and texts follow the ESP-Miner source: the 2.15 shape (pool slots) from 2.15 on,
the 2.14 shape for 2.11–2.14, the 2.4 shape (as recorded from a real Bitaxe Supra) for older
firmware. Which routes exist depends on the running version, so a firmware update changes them.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from aiohttp import web

from .. import esp_image
from ..faults import Fault
from ..identity import hostname_for
from ..miner import SimulatedMiner
from ..physics import Physics, PowerProfile
from ..state import MinerState, PoolState
from . import axeos_settings
from .axeos_models import BM1366, BM1368, BM1370, BM1397, AsicChip, AxeOSModel, find_model

NEWER_FIRMWARE = "v2.14.2"
LEGACY_FIRMWARE = "v2.4.5"
IDF_VERSION = "v5.4"
UPLOAD_CHUNK = 64 * 1024
PATCH_BODY_LIMIT = 10 * 1024  # the firmware's scratch buffer

CHIPS: dict[str, AsicChip] = {chip.name: chip for chip in (BM1397, BM1366, BM1368, BM1370)}

# Versions from which a feature exists (checked against ESP-Miner's tags).
ASIC_ROUTE_SINCE = (2, 7, 0)
NEWER_SHAPE_SINCE = (2, 11, 0)  # checked settings, manualFanSpeed, JSON restart reply
IDENTIFY_SINCE = (2, 12, 0)
PAUSE_SINCE = (2, 14, 0)
WWW_REBOOTS_SINCE = (2, 15, 0)
POOL_SLOTS_SINCE = (2, 15, 0)  # eight pool slots, PUT/DELETE /api/system/pools/{n}
NETWORK_CHECK_SINCE = (2, 6, 0)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
}

INDEX_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>AxeOS</title>
  <base href="/">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" type="image/x-icon" href="favicon.ico">
</head>
<body>
  <app-root></app-root>
  <noscript>AxeOS needs JavaScript.</noscript>
</body>
</html>
"""


def parse_version(version: str) -> tuple[int, int, int]:
    """``v2.14.2``, ``v2.4.5-3-gb5d1e36-dirty``, ``2.9.0b3`` → (major, minor, patch)."""
    match = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", version.strip())
    if match is None:
        return (0, 0, 0)
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def cjson_number(value: float) -> int | float:
    """cJSON prints a whole double without a decimal point; JSON readers then see an int."""
    return int(value) if float(value).is_integer() and abs(value) < 2**31 else value


def suffixed(value: float) -> str:
    """ESP-Miner's short form of a difficulty in 2.4: ``483k``, ``12M``, ``950``."""
    suffixes = ("", "k", "M", "G", "T", "P", "E")
    index = 0
    while value >= 1000 and index < len(suffixes) - 1:
        value /= 1000
        index += 1
    return f"{int(value)}{suffixes[index]}"


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(payload),
        content_type="application/json",
        headers=CORS_HEADERS,
    )


def _error(status: int, text: str) -> web.Response:
    """``httpd_resp_send_err``: the status and the message as the body."""
    return web.Response(status=status, text=text, content_type="text/html")


def _text(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/plain")


class AxeOSMiner(SimulatedMiner):
    """One ESP-Miner board."""

    family = "axeos"

    # --- construction -----------------------------------------------------------------------

    @property
    def board(self) -> AxeOSModel:
        return find_model(self.spec.model)

    @property
    def chip(self) -> AsicChip:
        wanted = self.spec.asic_model
        if wanted is None:
            return self.board.chip
        chip = CHIPS.get(wanted.upper())
        if chip is None:
            raise ValueError(f"unknown ASIC {wanted!r}; known: {', '.join(CHIPS)}")
        return chip

    @property
    def model_name(self) -> str:
        return self.board.name

    def initial_state(self, mac: str) -> MinerState:
        board, chip, spec = self.board, self.chip, self.spec
        firmware = spec.firmware or (LEGACY_FIRMWARE if spec.legacy else NEWER_FIRMWARE)
        self._legacy_override = spec.legacy
        self._pending_www_version: str | None = None
        self._identify_on = False
        # 2.15 pool slots: the stored records (None until the first 2.15 boot migrates the old
        # settings), the selectors as stored and as the running firmware read them at boot.
        self._slots: dict[int, dict[str, Any]] | None = None
        self._stored_selection = [0, 1]
        self._running_selection = (0, 1)
        frequency = board.frequency if chip is board.chip else chip.default_frequency
        voltage = board.voltage if chip is board.chip else chip.default_voltage
        return MinerState(
            mac=mac,
            hostname=spec.hostname or hostname_for(board.hostname_prefix, mac),
            model=board.name,
            version=firmware,
            www_version=spec.www_version or firmware,
            board_version=board.board_version,
            asic_model=chip.name,
            asic_count=board.asic_count,
            small_core_count=chip.small_core_count,
            frequency=float(frequency),
            core_voltage=voltage,
            pools=[
                PoolState("public-pool.io", 21496, f"bc1qsimulated.{mac[-5:].replace(':', '')}"),
                PoolState("solo.ckpool.org", 3333, "bc1qsimulated.fallback"),
            ],
        )

    def make_physics(self) -> Physics:
        board, state = self.board, self._state
        profile = PowerProfile(
            default_frequency=state.frequency,
            default_voltage=state.core_voltage,
            nominal_power=board.nominal_power,
            idle_power=board.idle_power,
            input_voltage=board.input_voltage,
        )
        return Physics(profile, self.seed)

    # --- what the running firmware can do ---------------------------------------------------

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        return parse_version(self._state.version)

    @property
    def legacy(self) -> bool:
        """Whether replies take the older (2.4) shape."""
        if self._legacy_override is not None:
            return self._legacy_override
        return self.version_tuple < NEWER_SHAPE_SINCE

    def supports(self, since: tuple[int, int, int]) -> bool:
        return self.version_tuple >= since

    @property
    def has_pool_slots(self) -> bool:
        """Whether the running firmware keeps its pools in slots (ESP-Miner 2.15 and later)."""
        return not self.legacy and self.supports(POOL_SLOTS_SINCE)

    # --- HTTP -------------------------------------------------------------------------------

    async def handle_web(self, request: web.BaseRequest) -> web.StreamResponse:
        if self.supports(NETWORK_CHECK_SINCE) and not _is_local(request.remote):
            return _error(401, "Unauthorized")
        method, path = request.method, request.path
        route = (method, path)
        if method == "OPTIONS" and path.startswith("/api/"):
            return web.Response(headers=CORS_HEADERS)
        if route == ("GET", "/api/system/info"):
            return _json(self.legacy_info() if self.legacy else self.system_info())
        if route == ("GET", "/api/system/asic") and self.supports(ASIC_ROUTE_SINCE):
            return _json(self.asic_info())
        if route == ("PATCH", "/api/system"):
            return await self._patch(request)
        if method in ("PUT", "DELETE") and path.startswith(POOLS_ROUTE) and self.has_pool_slots:
            if method == "PUT":
                return await self._put_pool(request)
            return self._delete_pool(request)
        if route == ("POST", "/api/system/restart"):
            reply = _text("System will restart shortly.")
            if not self.legacy:
                reply = _json({"message": "System will restart shortly."})
            return await self.respond_then_reboot(request, reply)
        if route == ("POST", "/api/system/identify") and self.supports(IDENTIFY_SINCE):
            return self._identify()
        if route == ("POST", "/api/system/pause") and self.supports(PAUSE_SINCE):
            self._state.paused = True
            return _json({"message": "Mining paused"})
        if route == ("POST", "/api/system/resume") and self.supports(PAUSE_SINCE):
            self._state.paused = False
            return _json({"message": "Mining resumed"})
        if route == ("POST", "/api/system/OTA"):
            return await self._ota(request)
        if route == ("POST", "/api/system/OTAWWW"):
            return await self._ota_www(request)
        return self._not_found(request)

    def _not_found(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path.startswith("/api/") and not self.legacy:
            return _json({"error": "unknown route"}, status=404)
        if request.method != "GET":
            return _error(405, "Request method for this URI is not handled by server")
        if request.path in ("/", "/index.html"):
            return web.Response(text=INDEX_HTML, content_type="text/html")
        # Files it does not have: a redirect to the root page (its captive-portal behaviour).
        return web.Response(
            status=302, text="Redirect to the captive portal", headers={"Location": "/"}
        )

    # --- replies ----------------------------------------------------------------------------

    def system_info(self) -> dict[str, Any]:
        """``/api/system/info`` of newer firmware (keys and order of ESP-Miner 2.14 or 2.15)."""
        state, board = self._state, self.board
        slots = self.has_pool_slots
        info: dict[str, Any] = {
            "power": round(state.power, 3),
            "voltage": round(state.input_voltage, 1),
            "current": round(state.current, 1),
            "temp": round(state.temp, 3),
            "temp2": -1,
            "vrTemp": round(state.vr_temp, 1),
            "coreVoltageActual": state.core_voltage_actual,
            "actualFrequency": cjson_number(state.frequency),
            "expectedHashrate": round(state.expected_hashrate, 2),
            "fanspeed": cjson_number(state.fan_percent),
            "fanrpm": state.fan_rpm,
            "fan2rpm": 0,
            "hashRate": round(state.hashrate, 2),
            "hashRate_1m": round(state.hashrate_1m, 2),
            "hashRate_10m": round(state.hashrate_10m, 2),
            "hashRate_1h": round(state.hashrate_1h, 2),
            "errorPercentage": state.error_percentage,
            "sharesAccepted": state.shares_accepted,
            "sharesRejected": state.shares_rejected,
        }
        if slots:
            info["sharesPending"] = 0
        info |= {
            "bestDiff": round(state.best_diff),
            "bestSessionDiff": round(state.best_session_diff),
            "poolDifficulty": 1000,
            "responseTime": 42.5,
            "responseShareBatch": 1,
            "processTime": 0.8,
        }
        if slots:
            info["workReceived"] = state.shares_accepted * 4
        info |= {
            "blockFound": 0,
            "showNewBlock": False,
            "blockHeight": 912_345,
            "scriptsig": "/simulated/",
            "networkDifficulty": 126_411_437_451_912,
            "coinbaseValueTotalSatoshis": 314_159_265,
            "coinbaseValueUserSatoshis": 314_159_265,
            "freeHeap": 8_443_612,
            "freeHeapInternal": 151_244,
            "freeHeapSpiram": 8_292_368,
        }
        if slots:
            info |= {"minFreeHeap": 8_101_220, "maxAllocHeap": 110_580}
        info["uptimeSeconds"] = int(state.uptime)
        if slots:
            info |= {
                "totalUptimeSeconds": int(state.uptime) + 86_400,
                "totalHashes": round(state.hashrate * 1e9 * state.uptime),
                "totalLog2Work": 62.5,
            }
        info["cpuUsage"] = 21.5
        if self.supports(PAUSE_SINCE):
            info["miningPaused"] = state.paused
        info |= {
            "overheat_mode": 0,
            "wifiStatus": "Connected!",
            "wifiRSSI": -52,
            "version": state.version,
            "axeOSVersion": state.www_version,
            "idfVersion": IDF_VERSION,
            "boardVersion": state.board_version,
            "maxPower": board.max_power,
            "nominalVoltage": board.input_voltage // 1000,
            "smallCoreCount": state.small_core_count,
            "ASICModel": state.asic_model,
            "isPSRAMAvailable": 1,
            "resetReason": "Software reset via esp_restart"
            if state.reboot_count
            else "Reset due to power-on event",
            "runningPartition": "ota_1" if state.firmware_updates % 2 else "ota_0",
            "macAddr": state.mac,
            "hostname": state.hostname,
            "ssid": str(state.other_settings.get("ssid", "simulated-wifi")),
            "ipv4": self.host,
            "ipv6": "",
            "apEnabled": 0,
            "poolConnectionInfo": "Connected",
            "isUsingFallbackStratum": int(state.using_fallback),
        }
        if slots:
            info |= self._pool_slot_info()
        else:
            info |= self._pool_settings_info()
        info |= {
            "overclockEnabled": int(state.overclock_enabled),
            "display": self._setting("display", "SSD1306 (128x32)"),
            "rotation": self._setting("rotation", 0),
            "invertscreen": int(bool(self._setting("invertscreen", False))),
            "displayTimeout": self._setting("displayTimeout", -1),
            "autofanspeed": int(state.fan_auto),
            "manualFanSpeed": state.manual_fan_percent,
            "minFanSpeed": state.min_fan_percent,
            "temptarget": state.temp_target,
            "coreVoltage": state.core_voltage,
            "frequency": cjson_number(state.frequency),
            "statsFrequency": self._setting("statsFrequency", 0),
            "statsLimit": 720,
            "hashrateMonitor": self._hashrate_monitor(),
        }
        if slots:
            info["partitions"] = self._partitions()
        info["sharesRejectedReasons"] = []
        if self.board.device_model_in_info:
            info["deviceModel"] = self.board.device_model
        return info

    def _pool_settings_info(self) -> dict[str, Any]:
        """The pool part of ``info`` up to 2.14: two pools as flat settings."""
        state = self._state
        info: dict[str, Any] = {}
        for prefix, pool in (
            ("stratum", state.primary_pool),
            ("fallbackStratum", state.fallback_pool),
        ):
            info |= {
                f"{prefix}URL": pool.url,
                f"{prefix}Port": pool.port,
                f"{prefix}User": pool.user,
                f"{prefix}SuggestedDifficulty": self._setting(f"{prefix}SuggestedDifficulty", 1000),
                f"{prefix}ExtranonceSubscribe": self._setting(
                    f"{prefix}ExtranonceSubscribe", False
                ),
                f"{prefix}TLS": self._setting(f"{prefix}TLS", 0),
                f"{prefix}Cert": self._setting(f"{prefix}Cert", ""),
                f"{prefix}DecodeCoinbase": self._setting(f"{prefix}DecodeCoinbase", True),
            }
        info |= {
            "stratumProtocol": self._setting("stratumProtocol", "SV1"),
            "stratumV2AuthorityPubkey": self._setting("stratumV2AuthorityPubkey", ""),
            "stratumV2ChannelType": self._setting("stratumV2ChannelType", "extended"),
            "fallbackStratumV2AuthorityPubkey": self._setting(
                "fallbackStratumV2AuthorityPubkey", ""
            ),
            "fallbackStratumV2ChannelType": self._setting(
                "fallbackStratumV2ChannelType", "extended"
            ),
            "fallbackStratumProtocol": self._setting("fallbackStratumProtocol", "SV1"),
        }
        return info

    def _pool_slot_info(self) -> dict[str, Any]:
        """The pool part of ``info`` from 2.15: the selectors, the filled slots (passwords
        masked), then the old flat keys, now read from the running primary and fallback slots.
        """
        primary, secondary = self._running_selection
        info: dict[str, Any] = {
            "primaryPoolIndex": primary,
            "secondaryPoolIndex": secondary,
            "useFallbackStratum": int(bool(self._setting("useFallbackStratum", False))),
            "pools": [
                {"id": index} | self._reported_slot(pool)
                for index in range(axeos_settings.MAX_POOLS)
                if (pool := self._live_slot(index))["stratumURL"]
            ],
        }
        for prefix, index in (("stratum", primary), ("fallbackStratum", secondary)):
            pool = self._live_slot(index)
            info |= {
                f"{prefix}{name}": pool[f"stratum{name}"]
                for name in (
                    "URL",
                    "Port",
                    "User",
                    "SuggestedDifficulty",
                    "ExtranonceSubscribe",
                    "TLS",
                    "Cert",
                    "DecodeCoinbase",
                    "Protocol",
                    "V2AuthorityPubkey",
                    "V2ChannelType",
                )
            }
        info["useCustomWWW"] = int(bool(self._setting("useCustomWWW", False)))
        return info

    @staticmethod
    def _reported_slot(pool: dict[str, Any]) -> dict[str, Any]:
        """A slot as ``info`` lists it: the firmware's key order, the password masked."""
        names = (
            "stratumProtocol",
            "stratumURL",
            "stratumPort",
            "stratumUser",
            "stratumPassword",
            "stratumSuggestedDifficulty",
            "stratumExtranonceSubscribe",
            "stratumTLS",
            "stratumCert",
            "stratumDecodeCoinbase",
            "stratumV2ChannelType",
            "stratumV2AuthorityPubkey",
            "stratumV2RequireAuth",
        )
        reported = {name: pool[name] for name in names}
        reported["stratumPassword"] = axeos_settings.MASKED_PASSWORD
        return reported

    def _partitions(self) -> list[dict[str, Any]]:
        """2.15's app partitions; only the running one is described here (an assumption)."""
        state = self._state
        running = "ota_1" if state.firmware_updates % 2 else "ota_0"
        partitions: list[dict[str, Any]] = []
        for label in ("factory", "ota_0", "ota_1"):
            entry: dict[str, Any] = {
                "label": label,
                "isCurrent": label == running,
                "isFactory": label == "factory",
                "version": None,
                "compileDate": None,
                "compileTime": None,
                "usagePercent": None,
            }
            if label == running:
                entry |= {
                    "version": state.version,
                    "compileDate": "Jan  1 2026",
                    "compileTime": "12:00:00",
                    "usagePercent": 39,
                }
            partitions.append(entry)
        return partitions

    def _setting(self, name: str, default: Any) -> Any:
        return self._state.other_settings.get(name, default)

    def _hashrate_monitor(self) -> dict[str, Any]:
        state, domains = self._state, self.chip.hash_domains
        per_chip = state.hashrate / max(state.asic_count, 1)
        return {
            "asics": [
                {
                    "total": round(per_chip, 2),
                    "errorCount": 0,
                    "domains": [round(per_chip / domains, 2)] * domains,
                }
                for _ in range(state.asic_count)
            ]
        }

    def legacy_info(self) -> dict[str, Any]:
        """``/api/system/info`` of 2.4-era firmware: the keys of a real Bitaxe Supra's reply."""
        state = self._state
        return {
            "power": round(state.power, 3),
            "voltage": round(state.input_voltage, 1),
            "current": round(state.current, 2),
            "temp": round(state.temp, 3),
            "vrTemp": round(state.vr_temp),
            "hashRate": round(state.hashrate, 2),
            "bestDiff": suffixed(state.best_diff),
            "bestSessionDiff": suffixed(state.best_session_diff),
            "stratumDiff": 1000,
            "isUsingFallbackStratum": int(state.using_fallback),
            "freeHeap": 8_443_612,
            "coreVoltage": state.core_voltage,
            "coreVoltageActual": state.core_voltage_actual,
            "frequency": int(state.frequency),
            "ssid": str(state.other_settings.get("ssid", "simulated-wifi")),
            "macAddr": state.mac,
            "hostname": state.hostname,
            "wifiStatus": "Connected!",
            "sharesAccepted": state.shares_accepted,
            "sharesRejected": state.shares_rejected,
            "uptimeSeconds": int(state.uptime),
            "asicCount": state.asic_count,
            "smallCoreCount": state.small_core_count,
            "ASICModel": state.asic_model,
            "stratumURL": state.primary_pool.url,
            "fallbackStratumURL": state.fallback_pool.url,
            "stratumPort": state.primary_pool.port,
            "fallbackStratumPort": state.fallback_pool.port,
            "stratumUser": state.primary_pool.user,
            "fallbackStratumUser": state.fallback_pool.user,
            "version": state.version,
            "idfVersion": "v5.1.2",
            "boardVersion": state.board_version,
            "runningPartition": "ota_1" if state.firmware_updates % 2 else "factory",
            "flipscreen": int(self._setting("flipscreen", 1)),
            "overheat_mode": 0,
            "invertscreen": int(self._setting("invertscreen", 0)),
            "invertfanpolarity": int(self._setting("invertfanpolarity", 1)),
            "autofanspeed": int(state.fan_auto),
            "fanspeed": cjson_number(state.fan_percent),
            "fanrpm": state.fan_rpm,
        }

    def asic_info(self) -> dict[str, Any]:
        """``/api/system/asic``: the chip and the UI's frequency and voltage choices."""
        board, chip = self.board, self.chip
        frequencies = chip.frequency_options
        if board.default_frequency and board.default_frequency not in frequencies:
            frequencies = tuple(sorted((*frequencies, board.default_frequency)))
        return {
            "ASICModel": chip.name,
            "deviceModel": board.device_model,
            "swarmColor": board.swarm_color,
            "asicCount": board.asic_count,
            "hashDomains": chip.hash_domains,
            "defaultFrequency": board.frequency,
            "frequencyOptions": list(frequencies),
            "defaultVoltage": board.voltage,
            "voltageOptions": list(chip.voltage_options),
        }

    def _identify(self) -> web.Response:
        state = self._state
        state.identify_count += 1
        state.identify_active = not state.identify_active
        if state.identify_active:
            return _json({"message": 'The device says "Hi!" for 30 seconds.'})
        return _json({"message": 'The device no longer says "Hi!".'})

    # --- settings ---------------------------------------------------------------------------

    async def _patch(self, request: web.BaseRequest) -> web.Response:
        if (request.content_length or 0) >= PATCH_BODY_LIMIT:
            return _error(500, "content too long")
        raw = await request.read()
        try:
            body = json.loads(raw.decode("utf-8", "replace")) if raw.strip() else None
        except ValueError:
            body = None
        if body is None:
            return _error(400, "Invalid JSON")
        if not isinstance(body, dict):
            body = {}  # cJSON finds no keys in a non-object: nothing changes
        if self.legacy:
            self._apply(axeos_settings.legacy_changes(body))
        elif self.has_pool_slots:
            return self._patch_with_pool_slots(body)
        else:
            changes = axeos_settings.validate(body)
            if changes is None:
                return _error(400, "Wrong API input")
            self._apply(changes)
        return web.Response(headers=CORS_HEADERS)

    def _patch_with_pool_slots(self, body: dict[str, Any]) -> web.Response:
        """2.15: the settings table without the old pool keys (they are ignored), the slot
        selectors, and a ``pools`` list of slot records; all checked before any is stored.
        """
        changes = axeos_settings.validate(body, axeos_settings.SETTINGS_POOL_SLOTS)
        pools_key = axeos_settings.find_key(body, "pools")
        pools = body[pools_key] if pools_key is not None else []
        if changes is None or not axeos_settings.pool_list_is_valid(pools):
            return _error(400, "Wrong API input")
        renamed = None
        if "hostname" in changes:
            changes["hostname"] = _without_local_suffix(changes["hostname"])
            if changes["hostname"] != self._state.hostname:
                renamed = changes["hostname"]
        for name, position in (("primaryPoolIndex", 0), ("secondaryPoolIndex", 1)):
            if name in changes:
                # Stored now, read by the firmware at its next boot.
                self._stored_selection[position] = changes.pop(name)
        self._apply(changes)
        for item in pools:
            self._store_slot(axeos_settings.slot_id(item), item)
        if renamed is None:
            return web.Response(headers=CORS_HEADERS)
        return _json(
            {
                "status": "success",
                "redirect": {
                    "url": f"http://{renamed}.local",
                    "delay": 2000,
                    "message": "Hostname updated. Redirecting to new address...",
                },
            }
        )

    # --- 2.15 pool slots --------------------------------------------------------------------

    @property
    def slot_records(self) -> dict[int, dict[str, Any]]:
        """The stored slot records; the first use on 2.15 migrates the two pools before it."""
        if self._slots is None:
            self._slots = self._migrated_slots()
        return self._slots

    def _migrated_slots(self) -> dict[int, dict[str, Any]]:
        """What 2.15 makes of the older pool settings at its first boot: slots 0 and 1."""
        slots: dict[int, dict[str, Any]] = {}
        for index, (prefix, pool) in enumerate(
            (("stratum", self._state.primary_pool), ("fallbackStratum", self._state.fallback_pool))
        ):
            slots[index] = {
                "stratumProtocol": self._setting(f"{prefix}Protocol", axeos_settings.SV1),
                "stratumURL": pool.url,
                "stratumPort": pool.port,
                "stratumUser": pool.user,
                "stratumPassword": pool.password,
                "stratumSuggestedDifficulty": self._setting(f"{prefix}SuggestedDifficulty", 1000),
                "stratumExtranonceSubscribe": self._setting(f"{prefix}ExtranonceSubscribe", False),
                "stratumTLS": self._setting(f"{prefix}TLS", 0),
                "stratumCert": self._setting(f"{prefix}Cert", ""),
                "stratumV2ChannelType": self._setting(f"{prefix}V2ChannelType", "extended"),
                "stratumV2AuthorityPubkey": self._setting(f"{prefix}V2AuthorityPubkey", ""),
                "stratumDecodeCoinbase": self._setting(f"{prefix}DecodeCoinbase", True),
            }
        return slots

    def _live_slot(self, index: int) -> dict[str, Any]:
        return axeos_settings.live_pool(index, self.slot_records.get(index))

    def _store_slot(self, index: int, body: dict[str, Any]) -> None:
        old = self.slot_records.get(index)
        old_password = old.get("stratumPassword") if old else None
        self.slot_records[index] = axeos_settings.stored_pool(body, old_password)
        self._sync_pools()

    def _sync_pools(self) -> None:
        """Point the shared state's two pools at the slots the running firmware uses."""
        pools = []
        for index in self._running_selection:
            slot = self._live_slot(index)
            pools.append(
                PoolState(
                    slot["stratumURL"],
                    slot["stratumPort"],
                    slot["stratumUser"],
                    slot["stratumPassword"],
                )
            )
        self._state.pools = pools

    def _pool_index(self, request: web.BaseRequest) -> int | None:
        """The slot named at the end of the URI (C's ``atoi``: no digits is 0); None if out
        of range.
        """
        tail = request.raw_path.rsplit("/", 1)[1]
        match = re.match(r"\s*([+-]?\d+)", tail)
        index = int(match.group(1)) if match else 0
        return index if 0 <= index < axeos_settings.MAX_POOLS else None

    async def _put_pool(self, request: web.BaseRequest) -> web.Response:
        index = self._pool_index(request)
        if index is None:
            return _error(400, "Invalid pool index")
        length = request.content_length or 0
        if length <= 0 or length >= PATCH_BODY_LIMIT:
            return _error(400, "Invalid request length")
        raw = await request.read()
        try:
            body = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            return _error(400, "Invalid JSON")
        if not axeos_settings.pool_is_valid(body):
            return _error(400, "Invalid pool configuration payload")
        self._store_slot(index, body)
        return _json({"message": "Pool updated successfully"})

    def _delete_pool(self, request: web.BaseRequest) -> web.Response:
        index = self._pool_index(request)
        if index is None:
            return _error(400, "Invalid pool index")
        if index in self._stored_selection:
            return _error(
                400, "Cannot delete a pool that is currently selected as primary or fallback"
            )
        self.slot_records.pop(index, None)
        self._sync_pools()
        return _json({"message": "Pool cleared successfully"})

    def _apply(self, changes: dict[str, Any]) -> None:
        state = self._state
        for name, value in changes.items():
            pool_field = _pool_field(name)
            if pool_field is not None:
                is_fallback, attribute = pool_field
                pool = state.fallback_pool if is_fallback else state.primary_pool
                setattr(pool, attribute, value)
                continue
            match name:
                case "hostname":
                    state.hostname = value
                case "frequency":
                    state.frequency = float(value)
                case "coreVoltage":
                    state.core_voltage = int(value)
                case "autofanspeed":
                    state.fan_auto = bool(value)
                case "manualFanSpeed" | "fanspeed":
                    state.manual_fan_percent = max(0, min(100, int(value)))
                case "minFanSpeed":
                    state.min_fan_percent = int(value)
                case "temptarget":
                    state.temp_target = int(value)
                case "overclockEnabled":
                    state.overclock_enabled = bool(value)
                case _:
                    state.other_settings[name] = value
        self.tick()

    # --- firmware ---------------------------------------------------------------------------

    async def _read_upload(self, request: web.BaseRequest, keep: int) -> tuple[int, bytes]:
        """Stream the raw body; keep only its first ``keep`` bytes. Returns (size, head)."""
        head = bytearray()
        size = 0
        async for chunk in request.content.iter_chunked(UPLOAD_CHUNK):
            if len(head) < keep:
                head += chunk[: keep - len(head)]
            size += len(chunk)
        return size, bytes(head)

    async def _ota(self, request: web.BaseRequest) -> web.StreamResponse:
        size, head = await self._read_upload(request, esp_image.HEADER_BYTES_NEEDED)
        if size and not esp_image.is_app_image(head):
            # esp_ota_write refuses a first chunk that is not an app image.
            return _error(500, "Flash Error" if self.legacy else "Write Error")
        new_version = esp_image.read_app_version(head)
        if new_version is None or self.has_fault(Fault.FIRMWARE_REJECTED):
            return _error(500, "Validation / Activation Error")
        state = self._state
        state.firmware_updates += 1
        if not self.has_fault(Fault.WRONG_VERSION_AFTER_OTA):
            state.version = new_version
            self._legacy_override = None
        reply = _text("Firmware update complete, rebooting now!\n")
        return await self.respond_then_reboot(
            request, reply, stay_down=self.has_fault(Fault.NEVER_RETURNS)
        )

    async def _ota_www(self, request: web.BaseRequest) -> web.StreamResponse:
        _size, head = await self._read_upload(request, esp_image.WWW_VERSION_SEARCH)
        if self.has_fault(Fault.FIRMWARE_REJECTED):
            return _error(500, "Write Error")
        found = esp_image.read_www_version(head)
        if found is not None:
            # The firmware reads the web UI's version.txt when it boots.
            self._pending_www_version = found
        if self.supports(WWW_REBOOTS_SINCE):
            self._state.other_settings["useCustomWWW"] = True
            return await self.respond_then_reboot(
                request,
                _text("WWW update complete, rebooting now!\n"),
                stay_down=self.has_fault(Fault.NEVER_RETURNS),
            )
        return _text("WWW update complete\n")

    def on_boot(self) -> None:
        if self._pending_www_version is not None:
            self._state.www_version = self._pending_www_version
            self._pending_www_version = None
        if self.has_pool_slots:
            # The firmware reads its pool selectors at boot only.
            primary, secondary = self._stored_selection
            self._running_selection = (primary, secondary)
            self._sync_pools()


POOL_FIELDS = {"URL": "url", "Port": "port", "User": "user", "Password": "password"}
POOLS_ROUTE = "/api/system/pools/"


def _without_local_suffix(hostname: str) -> str:
    """2.15 stores ``bitaxe.local`` as ``bitaxe`` (the suffix, any case, is dropped)."""
    if len(hostname) > len(".local") and hostname.lower().endswith(".local"):
        return hostname[: -len(".local")]
    return hostname


def _pool_field(name: str) -> tuple[bool, str] | None:
    """``fallbackStratumUser`` → (True, "user"); None for settings that are not a pool's."""
    for prefix, is_fallback in (("fallbackStratum", True), ("stratum", False)):
        if name.startswith(prefix):
            attribute = POOL_FIELDS.get(name.removeprefix(prefix))
            return (is_fallback, attribute) if attribute else None
    return None


def _is_local(remote: str | None) -> bool:
    """ESP-Miner serves private-range clients only; loopback counts here (tests, the demo)."""
    if remote is None:
        return False
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return address.is_private or address.is_loopback
