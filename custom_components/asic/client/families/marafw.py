"""MaraFW on Antminer hardware: the stock login and RPC, and its own ``/kaonsu/v1`` REST API.

The RPC (whose replies name the miner program, kaonsu) has the stock shapes, so hashrate,
boards, fans and pools are read as on stock modern firmware (``antminer.py``). Facts, power
and every control go through the REST API that MaraFW's web UI uses, with the same digest
login (root/root by default):

- at connect: ``overview`` (model, serial, MAC, firmware) and ``network_config`` (hostname);
- each poll, 4 requests: one joined RPC ``summary+stats+pools`` (``new_api``), ``brief``
  (estimated power, mining status), ``miner_config`` (work mode and the configured power
  target, shown as the power limit; it applies in the "Auto" mode) and
  ``locate_miner`` (the fault light);
- controls: ``miner_config`` is replaced whole on a write, so each is a read-modify-write of
  it — ``work-mode-selector`` "Sleep" stops mining and the mode it slept from wakes it;
  a power limit is "Auto" with ``concorde`` ``PowerTarget`` at the watts; pools are its
  ``pools`` list. ``locate_miner`` ``{"blinking"}`` is the fault light, ``maintenance``
  ``{"type": "reboot"}`` reboots and ``{"type": "reload"}`` restarts the miner program.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
import json
from typing import Any

from ..errors import MinerCommandError, MinerError, MinerProtocolError
from ..models import Capabilities, Family, Identity, MinerData, NumberRange, PoolConfig, efficiency
from ..probe import Probe
from ..units import as_bool, as_float, as_str, positive
from . import antminer
from .antminer import MODERN

API = "/kaonsu/v1/"
MARKER = "KAONSU"
SLEEP, AUTO, STOCK = "Sleep", "Auto", "Stock"
POOL_SLOTS = 3

# Power-target ranges by model (W); others get the default. Not published by the vendor:
# the figures are those MaraFW's UI offers on the models it tunes (assumed).
POWER_RANGES: dict[str, NumberRange] = {
    "antminer s19 xp": NumberRange(1000, 3500, 50),
    "antminer s21": NumberRange(1000, 4000, 50),
}
DEFAULT_POWER_RANGE = NumberRange(1000, 3500, 50)


def power_range_for(model: str | None) -> NumberRange:
    return POWER_RANGES.get((model or "").strip().lower(), DEFAULT_POWER_RANGE)


def capabilities_for(model: str | None) -> Capabilities:
    return Capabilities(
        mining_switch=True,
        fault_light=True,
        reboot=True,
        restart_mining=True,
        pools=True,
        power_limit=power_range_for(model),
    )


@dataclass(frozen=True, slots=True)
class Brief:
    power: float | None = None
    mining: bool | None = None


def _object(reply: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(reply, Mapping):
        raise MinerProtocolError(f"MaraFW's {what} did not answer a JSON object")
    return reply


def parse_overview(reply: Any) -> antminer.SystemInfo:
    overview = _object(reply, "overview")
    mac = as_str(overview.get("mac"))
    return antminer.SystemInfo(
        model=as_str(overview.get("model")),
        mac=mac.upper() if mac else None,
        serial=as_str(overview.get("serial")),
        firmware_version=as_str(overview.get("version_firmware"))
        or as_str(overview.get("firmware")),
    )


def parse_brief(reply: Any) -> Brief:
    brief = _object(reply, "brief")
    status = as_str(brief.get("status"))
    return Brief(
        power=positive(as_float(brief.get("power_consumption_estimated"))),
        mining=None if status is None else status == "Mining",
    )


def parse_mode(config: Any) -> tuple[str | None, float | None]:
    """``miner_config`` → (work-mode selector, the configured power target in W).

    The target is the configured one whatever the selector (it applies in "Auto").
    """
    mode = _object(config, "miner_config").get("mode")
    if not isinstance(mode, Mapping):
        return None, None
    selector = as_str(mode.get("work-mode-selector"))
    concorde = mode.get("concorde")
    target = None
    if isinstance(concorde, Mapping) and as_str(concorde.get("mode-select")) == "PowerTarget":
        target = positive(as_float(concorde.get("power-target")))
    return selector, target


class MaraMiner(antminer.AntminerMiner):
    """An Antminer under MaraFW."""

    family = Family.MARAFW

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._selector_before_sleep = STOCK

    @property
    def capabilities(self) -> Capabilities:
        return capabilities_for(self._info.model) if self._info else Capabilities()

    async def _connect(self) -> None:
        info = parse_overview(await self.http.get_json(API + "overview"))
        try:
            network = _object(await self.http.get_json(API + "network_config"), "network_config")
            info = replace(info, hostname=as_str(network.get("hostname")))
        except MinerError:
            pass  # the hostname is a nicety
        self._info, self._flavour = info, MODERN

    async def read(self) -> MinerData:
        async with self.lock:
            if self._info is None:
                await self._connect()
            info = self._info
            assert info is not None
            replies = await self.rpc.commands("summary", "stats", "pools", new_api=True)
            brief = parse_brief(await self.http.get_json(API + "brief"))
            selector, target = parse_mode(await self.http.get_json(API + "miner_config"))
            locate = _object(await self.http.get_json(API + "locate_miner"), "locate_miner")
        model = antminer.find_model(info.model)
        data = antminer.build_miner_data(
            info,
            MODERN,
            antminer.parse_summary(replies["summary"]),
            antminer.parse_stats(replies["stats"], model),
            antminer.parse_pools(replies["pools"]),
            fault_light=as_bool(locate.get("blinking")),
        )
        mining = brief.mining if selector is None else selector != SLEEP
        return replace(
            data,
            family=Family.MARAFW,
            power=brief.power,
            power_limit=target,
            efficiency=efficiency(brief.power, data.hashrate),
            is_mining=mining,
            power_mode=None,
            capabilities=capabilities_for(info.model),
        )

    # --- writing ------------------------------------------------------------------------

    async def _config(self) -> dict[str, Any]:
        config = await self.http.get_json(API + "miner_config")
        if not isinstance(config, dict) or not isinstance(config.get("mode"), dict):
            raise MinerProtocolError(f"{self.host} answered miner_config without a mode")
        return config

    async def _post(self, name: str, body: Mapping[str, Any]) -> Any:
        reply = await self.http.send("POST", API + name, dict(body))
        text = reply.decode("utf-8", "replace").strip()
        try:
            return json.loads(text) if text else {}
        except ValueError as err:
            raise MinerProtocolError(f"{self.host} answered {name} with no JSON") from err

    async def set_mining(self, enabled: bool) -> None:
        async with self.lock:
            config = await self._config()
            selector = as_str(config["mode"].get("work-mode-selector"))
            if enabled and selector != SLEEP:
                return
            if not enabled and selector not in (None, SLEEP):
                self._selector_before_sleep = selector
            config["mode"]["work-mode-selector"] = self._selector_before_sleep if enabled else SLEEP
            await self._post("miner_config", config)

    async def set_power_limit(self, watts: float) -> None:
        async with self.lock:
            if self._info is None:
                await self._connect()
            allowed = power_range_for(self._info.model if self._info else None)
            if not allowed.contains(watts):
                raise MinerCommandError(
                    f"{watts:g} W is outside {allowed.min:g}-{allowed.max:g} W for this miner"
                )
            config = await self._config()
            config["mode"]["work-mode-selector"] = AUTO
            config["mode"]["concorde"] = {"mode-select": "PowerTarget", "power-target": int(watts)}
            await self._post("miner_config", config)

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not pools or len(pools) > POOL_SLOTS:
            raise MinerCommandError("MaraFW takes one to three pools")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        async with self.lock:
            config = await self._config()
            config["pools"] = [
                {"url": pool.url, "user": pool.user, "pass": pool.password} for pool in pools
            ]
            await self._post("miner_config", config)

    async def set_fault_light(self, on: bool) -> None:
        async with self.lock:
            reply = await self._post("locate_miner", {"blinking": on})
        if not isinstance(reply, Mapping) or as_bool(reply.get("blinking")) is not on:
            raise MinerCommandError(
                f"{self.host} did not {'start' if on else 'stop'} blinking: {str(reply)[:100]}"
            )

    async def reboot(self) -> None:
        async with self.lock:
            await self._post("maintenance", {"type": "reboot"})

    async def restart_mining(self) -> None:
        async with self.lock:
            await self._post("maintenance", {"type": "reload"})


async def confirm(probe: Probe) -> Identity | None:
    """MaraFW when the RPC names kaonsu or its REST API answers; facts from ``overview``."""
    version = await probe.rpc_version
    by_rpc = version is not None and MARKER in json.dumps(version).upper()
    http = antminer.probe_http(probe)
    try:
        info = parse_overview(await http.get_json(API + "overview"))
    except MinerError:
        if not by_rpc:
            return None
        info = antminer.SystemInfo()
    return Identity(
        host=probe.host,
        port=probe.port,
        rpc_port=probe.rpc_port,
        family=Family.MARAFW,
        model=info.model,
        firmware_version=info.firmware_version,
        mac=info.mac,
        api_flavour="kaonsu",
    )
