"""Braiins OS's gRPC API on port 50051 (the public ``bos-plus-api`` protos, package
``braiins.bos.v1``): the reads pyasic's BOS+ backend makes, login and a few writes.

Replies are written from the same JSON-shaped data as the REST API (whose names are the
protos' field names), with the field numbers of the protos. Every method but ``Login`` and
``GetApiVersion`` wants the token of a login in the ``authorization`` metadata.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import secrets
import time
from typing import TYPE_CHECKING, Any

from ..faults import Fault
from ..grpc_endpoint import StreamHandler, UnaryHandler, grpc
from ..protobuf import Field, Kind, Schema, decode, encode, last_int, last_message, message
from .braiins_upgrade import UPGRADE_SINCE, ImageCheck, UpgradeMetadata

if TYPE_CHECKING:
    from .braiins import BraiinsMiner

GRPC = "grpc"
GRPC_PORT = 50051
PACKAGE = "braiins.bos.v1"
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
REPLY_BEFORE_REBOOT_S = 0.1
# The bos-plus-api version each release answers GetApiVersion with: the newest one published
# before the release (from the API's changelog dates; 26.04 brought SystemUpgrade, 1.10.0).
API_VERSIONS = {
    "24.09": (1, 2, 0),
    "25.03": (1, 4, 0),
    "25.05": (1, 5, 0),
    "25.07": (1, 6, 0),
    "25.11": (1, 7, 0),
    "26.04": (1, 10, 0),
}


def _f(number: int, kind: Kind) -> Field:
    return Field(number, kind)


UINT, BOOL, STRING, DOUBLE = Kind.UINT, Kind.BOOL, Kind.STRING, Kind.DOUBLE
GIGAHASH: Schema = {"gigahash_per_second": _f(1, DOUBLE)}
MEGAHASH: Schema = {"megahash_per_second": _f(1, DOUBLE)}
TERAHASH: Schema = {"terahash_per_second": _f(1, DOUBLE)}
POWER: Schema = {"watt": _f(1, UINT)}
VOLTAGE: Schema = {"volt": _f(1, DOUBLE)}
FREQUENCY: Schema = {"hertz": _f(1, DOUBLE)}
TEMPERATURE: Schema = {"degree_c": _f(1, DOUBLE)}
TIMESTAMP: Schema = {"seconds": _f(1, Kind.INT), "nanos": _f(2, Kind.INT)}
WINDOWS = (
    "last_5s last_15s last_30s last_1m last_5m last_15m last_30m last_1h last_24h since_restart"
)
REAL_HASHRATE: Schema = {
    name: message(number, GIGAHASH) for number, name in enumerate(WINDOWS.split(), start=1)
}
WORK_SOLVER_STATS: Schema = {
    "real_hashrate": message(1, REAL_HASHRATE),
    "nominal_hashrate": message(2, GIGAHASH),
    "error_hashrate": message(3, MEGAHASH),
    "found_blocks": _f(4, UINT),
    "best_share": _f(5, UINT),
    "best_share_str": _f(6, STRING),
}
POOL_STATS: Schema = {
    "accepted_shares": _f(1, UINT),
    "rejected_shares": _f(2, UINT),
    "stale_shares": _f(3, UINT),
    "last_difficulty": _f(4, UINT),
    "best_share": _f(5, UINT),
    "generated_work": _f(6, UINT),
    "last_share_time": message(7, TIMESTAMP),
    "best_share_str": _f(8, STRING),
}
MINER_DETAILS: Schema = {
    "uid": _f(1, STRING),
    "miner_identity": message(
        2,
        {
            "brand": _f(1, UINT),
            "model": _f(2, UINT),
            "name": _f(3, STRING),
            "miner_model": _f(4, STRING),
        },
    ),
    "platform": _f(3, UINT),
    "bos_mode": _f(4, UINT),
    "bos_version": message(
        5, {"current": _f(1, STRING), "major": _f(2, STRING), "bos_plus": _f(3, BOOL)}
    ),
    "hostname": _f(6, STRING),
    "mac_address": _f(7, STRING),
    "system_uptime": _f(8, UINT),
    "sticker_hashrate": message(9, GIGAHASH),
    "bosminer_uptime_s": _f(10, UINT),
    "system_uptime_s": _f(11, UINT),
    "status": _f(12, UINT),
    "kernel_version": _f(13, STRING),
    "psu_info": message(
        14,
        {
            "version": _f(1, Kind.UINT_VALUE),
            "fw_version": _f(2, Kind.UINT_VALUE),
            "serial_number": _f(3, STRING),
            "model_name": _f(4, STRING),
            "min_voltage": message(5, VOLTAGE),
            "max_voltage": message(6, VOLTAGE),
        },
    ),
    "control_board_soc_family": _f(15, UINT),
    "serial_number": _f(16, STRING),
}
MINER_STATS: Schema = {
    "pool_stats": message(1, POOL_STATS),
    "miner_stats": message(2, WORK_SOLVER_STATS),
    "power_stats": message(
        3,
        {
            "approximated_consumption": message(1, POWER),
            "efficiency": message(2, {"joule_per_terahash": _f(1, DOUBLE)}),
        },
    ),
}
TEMPERATURE_SENSOR: Schema = {
    "id": _f(1, UINT),
    "location": _f(2, UINT),
    "temperature": message(3, TEMPERATURE),
}
HASHBOARD: Schema = {
    "id": _f(1, STRING),
    "enabled": _f(2, BOOL),
    "chips_count": _f(3, Kind.UINT_VALUE),
    "current_voltage": message(4, VOLTAGE),
    "current_frequency": message(5, FREQUENCY),
    "highest_chip_temp": message(6, TEMPERATURE_SENSOR),
    "board_temp": message(7, TEMPERATURE),
    "stats": message(8, WORK_SOLVER_STATS),
    "model": _f(9, STRING),
    "lowest_inlet_temp": message(10, TEMPERATURE),
    "highest_outlet_temp": message(11, TEMPERATURE),
    "serial_number": _f(12, STRING),
    "board_name": _f(13, STRING),
    "chip_type": _f(14, STRING),
}
HASHBOARDS: Schema = {"hashboards": message(1, HASHBOARD)}
COOLING_STATE: Schema = {
    "fans": message(
        1, {"position": _f(1, UINT), "rpm": _f(2, UINT), "target_speed_ratio": _f(3, DOUBLE)}
    ),
    "highest_temperature": message(2, TEMPERATURE_SENSOR),
}
TUNER_STATE: Schema = {
    "overall_tuner_state": _f(1, UINT),
    "mode_state": Field(
        0,
        Kind.ONEOF,
        {
            "powertargetmodestate": message(
                2,
                {
                    "profile": message(
                        1,
                        {
                            "created": message(1, TIMESTAMP),
                            "target": message(2, POWER),
                            "measured_hashrate": message(3, GIGAHASH),
                            "estimated_power_consumption": message(4, POWER),
                        },
                    ),
                    "current_target": message(2, POWER),
                },
            )
        },
    ),
}
PERFORMANCE_MODE: Schema = {
    "tuner_mode": message(2, {"power_target": message(1, {"power_target": message(1, POWER)})})
}
POOL: Schema = {
    "uid": _f(1, STRING),
    "url": _f(2, STRING),
    "user": _f(3, STRING),
    "enabled": _f(4, BOOL),
    "alive": _f(5, BOOL),
    "active": _f(6, BOOL),
    "stats": message(7, POOL_STATS),
}
POOL_GROUPS: Schema = {
    "pool_groups": message(
        1,
        {
            "name": _f(1, STRING),
            "strategy": Field(
                0,
                Kind.ONEOF,
                {
                    "quota": message(2, {"value": _f(1, UINT)}),
                    "fixed_share_ratio": message(3, {"value": _f(1, DOUBLE)}),
                },
            ),
            "pools": message(4, POOL),
            "uid": _f(5, STRING),
        },
    )
}
MINER_CONFIGURATION: Schema = {
    "pool_groups": message(
        1,
        {
            "uid": _f(1, STRING),
            "name": _f(2, STRING),
            "load_balance_strategy": Field(
                0,
                Kind.ONEOF,
                {
                    "quota": message(3, {"value": _f(1, UINT)}),
                    "fixed_share_ratio": message(4, {"value": _f(1, DOUBLE)}),
                },
            ),
            "pools": message(
                5,
                {
                    "uid": _f(1, STRING),
                    "url": _f(2, STRING),
                    "user": _f(3, STRING),
                    "password": _f(4, STRING),
                    "enabled": _f(5, BOOL),
                },
            ),
        },
    ),
    "tuner": message(
        3,
        {
            "enabled": _f(1, BOOL),
            "tuner_mode": _f(2, UINT),
            "power_target": message(3, POWER),
            "hashrate_target": message(4, TERAHASH),
        },
    ),
}
API_VERSION: Schema = {
    "major": _f(1, UINT),
    "minor": _f(2, UINT),
    "patch": _f(3, UINT),
    "pre": _f(4, STRING),
    "build": _f(5, STRING),
}
LOGIN_RESPONSE: Schema = {"token": _f(1, STRING), "timeout_s": _f(2, UINT)}
LOCATE_STATUS: Schema = {"enabled": _f(1, BOOL)}
POWER_TARGET_RESPONSE: Schema = {"power_target": message(1, POWER)}
ALREADY_PAUSED: Schema = {"already_paused": _f(1, BOOL)}
ALREADY_MINING: Schema = {"already_mining": _f(1, BOOL)}
UPGRADE_RESPONSE: Schema = {"successful": _f(1, BOOL)}


def _string(raw: bytes | None) -> str:
    return raw.decode("utf-8", "replace") if raw is not None else ""


class BraiinsGrpcApi:
    """The gRPC methods of one simulated Braiins OS miner."""

    def __init__(self, miner: BraiinsMiner) -> None:
        self.miner = miner

    def methods(self) -> dict[str, UnaryHandler]:
        reads: dict[str, Callable[[], Any]] = {
            "MinerService/GetMinerDetails": lambda: encode(
                self.miner.rest_details(), MINER_DETAILS
            ),
            "MinerService/GetMinerStats": lambda: encode(self.miner.rest_stats(), MINER_STATS),
            "MinerService/GetHashboards": lambda: encode(self.miner.rest_hashboards(), HASHBOARDS),
            "CoolingService/GetCoolingState": lambda: encode(
                self.miner.rest_cooling(), COOLING_STATE
            ),
            "PerformanceService/GetTunerState": lambda: encode(
                self.miner.rest_tuner_state(), TUNER_STATE
            ),
            "PerformanceService/GetActivePerformanceMode": self.performance_mode,
            "PoolService/GetPoolGroups": lambda: encode(
                {"pool_groups": self.miner.rest_pools()}, POOL_GROUPS
            ),
            "ConfigurationService/GetMinerConfiguration": lambda: encode(
                self.miner.rest_configuration(), MINER_CONFIGURATION
            ),
            "ActionsService/GetLocateDeviceStatus": lambda: encode(
                {"enabled": self.miner.locate}, LOCATE_STATUS
            ),
        }
        writes: dict[str, Callable[[bytes, Any], Awaitable[bytes]]] = {
            "ActionsService/SetLocateDeviceStatus": self.set_locate,
            "ActionsService/PauseMining": self.pause,
            "ActionsService/ResumeMining": self.resume,
            "ActionsService/Reboot": self.reboot,
            "PerformanceService/SetPowerTarget": self.set_power_target,
        }
        open_methods: dict[str, UnaryHandler] = {
            f"/{PACKAGE}.AuthenticationService/Login": self.login,
            "/braiins.bos.ApiVersionService/GetApiVersion": self.api_version,
        }
        table = {path: self.guarded(path, call, login=True) for path, call in open_methods.items()}
        for name, read in reads.items():
            table[f"/{PACKAGE}.{name}"] = self.guarded(f"/{PACKAGE}.{name}", _as_unary(read))
        for name, write in writes.items():
            table[f"/{PACKAGE}.{name}"] = self.guarded(f"/{PACKAGE}.{name}", write)
        return table

    def streams(self) -> dict[str, StreamHandler]:
        return {f"/{PACKAGE}.UpgradeService/SystemUpgrade": self.system_upgrade}

    async def system_upgrade(self, requests: AsyncIterator[bytes], context: Any) -> bytes:
        """``SystemUpgradeRequest`` messages: ``metadata`` (1) first, then ``data`` (2) chunks."""
        miner = self.miner
        path = f"/{PACKAGE}.UpgradeService/SystemUpgrade"
        fault = miner.grpc_fault(path)
        if fault is not None and fault.fault is Fault.HTTP_500:
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        if not self.authorized(context):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "Unauthenticated")
        if miner.api_version is None or miner.api_version < UPGRADE_SINCE:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not found")
        check: ImageCheck | None = None
        async for raw in requests:
            fields = decode(raw)
            metadata, data = last_message(fields, 1), last_message(fields, 2)
            if check is None and metadata is not None:
                meta = decode(metadata)
                check = ImageCheck(
                    UpgradeMetadata(
                        size=last_int(meta, 1) or 0,
                        sha256=_string(last_message(meta, 2)),
                        discard_settings=bool(last_int(meta, 3)),
                    )
                )
            elif check is not None and data is not None:
                check.add(data)
            else:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "First message of the stream has to be metadata",
                )
        if check is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Missing upgrade metadata")
        assert check is not None
        problem = miner.upgrade_problem(check)
        if problem is not None:
            await context.abort(grpc.StatusCode.INTERNAL, problem)
        stay_down = miner.install_upgrade(check)
        miner.spawn(self._reboot_soon(stay_down=stay_down), "grpc-upgrade-reboot")
        return encode({"successful": True}, UPGRADE_RESPONSE)

    def performance_mode(self) -> bytes:
        target = {"power_target": {"watt": self.miner.power_target}}
        return encode({"tuner_mode": {"power_target": target}}, PERFORMANCE_MODE)

    def guarded(self, path: str, handler: UnaryHandler, *, login: bool = False) -> UnaryHandler:
        """``handler`` behind the transport faults and, unless ``login``, the token check."""

        async def call(request: bytes, context: Any) -> bytes:
            miner = self.miner
            fault = miner.grpc_fault(path)
            if fault is not None and fault.fault is Fault.HANG:
                await asyncio.Event().wait()
            if fault is not None and fault.fault is Fault.HTTP_500:
                await context.abort(grpc.StatusCode.INTERNAL, "internal error")
            if fault is not None and fault.fault is Fault.SLOW:
                await asyncio.sleep(fault.delay)
            miner.tick()
            if not login and not self.authorized(context):
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "Unauthenticated")
            return await handler(request, context)

        return call

    def authorized(self, context: Any) -> bool:
        metadata = dict(context.invocation_metadata() or ())
        token = str(metadata.get("authorization", "")).removeprefix("Bearer ").strip()
        miner = self.miner
        last_used = miner.tokens.get(token)
        now = time.monotonic()
        if last_used is None or now - last_used > miner.token_timeout:
            miner.tokens.pop(token, None)
            return False
        miner.tokens[token] = now
        return True

    async def login(self, request: bytes, context: Any) -> bytes:
        fields = decode(request)
        username = _string(last_message(fields, 1))
        password = _string(last_message(fields, 2))
        miner = self.miner
        if username != miner.username or password != miner.password:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "Invalid username or password")
        token = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(16))
        miner.tokens[token] = time.monotonic()
        await context.send_initial_metadata((("authorization", token),))
        return encode({"token": token, "timeout_s": int(miner.token_timeout)}, LOGIN_RESPONSE)

    async def api_version(self, _request: bytes, _context: Any) -> bytes:
        major, minor, patch = API_VERSIONS[self.miner.release]
        return encode({"major": major, "minor": minor, "patch": patch}, API_VERSION)

    async def set_locate(self, request: bytes, _context: Any) -> bytes:
        enable = bool(last_int(decode(request), 1))
        self.miner.set_locate(enable)
        return encode({"enabled": enable}, LOCATE_STATUS)

    async def pause(self, _request: bytes, _context: Any) -> bytes:
        return encode({"already_paused": self.miner.set_sleeping(True)}, ALREADY_PAUSED)

    async def resume(self, _request: bytes, _context: Any) -> bytes:
        return encode({"already_mining": not self.miner.set_sleeping(False)}, ALREADY_MINING)

    async def reboot(self, _request: bytes, _context: Any) -> bytes:
        self.miner.spawn(self._reboot_soon(), "grpc-reboot")
        return b""

    async def _reboot_soon(self, *, stay_down: bool = False) -> None:
        await asyncio.sleep(REPLY_BEFORE_REBOOT_S)  # the reply leaves before the port closes
        self.miner.reboot(stay_down=stay_down)

    async def set_power_target(self, request: bytes, context: Any) -> bytes:
        power = last_message(decode(request), 2)
        watt = last_int(decode(power), 1) if power is not None else None
        problem = self.miner.power_target_problem(watt)
        if problem is not None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)
        assert watt is not None
        self.miner.set_power_target(watt)
        return encode({"power_target": {"watt": watt}}, POWER_TARGET_RESPONSE)


def _as_unary(read: Callable[[], bytes]) -> UnaryHandler:
    async def call(_request: bytes, _context: Any) -> bytes:
        return read()

    return call
