"""ePIC UMC (PowerPlay-BMS on umcOS) control boards on Antminer hashboards.

ePIC's API is HTTP with JSON on port 4028 (not the CGMiner socket); port 80 serves the "Miner
Web Dashboard" page. Reads are GETs without a login. Every write is a POST of
``{"param": …, "password": …}`` answered ``{"result": true, "error": null}`` or
``{"result": false, "error": <name>}`` (``BadPassword`` for a wrong password).

Requests:

- at connect, once (again after a reboot, seen as the uptime going back): ``GET /capabilities``
  (model, chip counts, board serials, the tune presets that give the power-limit range),
  ``GET /network`` (the MAC) and ``POST /authenticate`` (proves the password, so that a wrong
  one is known before a control is used).
- each poll: 2 GETs sent at the same time — ``/summary`` (hashrate and temperature per board,
  power, fans, uptime, operating state, shares, pools, the tuner's target, the locate LED, the
  last error) and ``/temps`` (each board's inlet and outlet chip temperatures).

The password travels in each write's body: there is no session or token to renew.

Controls: mining off/on ``/miner`` "Stop"/"Autostart"; reboot ``/reboot`` (delay 0); restart
mining ``/softreboot``; fault light ``/identify`` (bool); power limit in W ``/perpetualtune/algo``
``{"algo": "PowerTune", "target": W}`` within the watts of the model's tune presets, with the
throttle settings (``min_throttle``, ``throttle_step``) the tuner runs with; pools ``/coin``
with up to three stratum configs, sending back the coin and the unique-worker setting as read
from ``/summary``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import MinerAuthError, MinerCommandError, MinerError, MinerProtocolError
from ..miner import Miner
from ..models import (
    Board,
    Capabilities,
    Family,
    Fan,
    Identity,
    MinerData,
    NumberRange,
    Pool,
    PoolConfig,
    ReportedError,
    efficiency,
)
from ..probe import Probe
from ..transport.http import HttpTransport, decode_json
from ..units import as_bool, as_float, as_int, as_str, positive

API_PORT = 4028
WEB_PORT = 80
DEFAULT_USERNAME = "root"  # shown by the firmware; only the password is checked
DEFAULT_PASSWORD = "letmein"  # noqa: S105 (the factory default, documented by the maker)
POOL_SLOTS = 3
POWER_ALGORITHM = "PowerTune"
THROTTLE_SETTINGS = (("min_throttle", "Min Throttle Target"), ("throttle_step", "Throttle Step"))
SOFTWARE_PREFIX = "PowerPlay-BMS v"
MINING_STATES = ("mining", "tuning")
STOPPED_STATES = ("idl", "stop", "shutdown")

# The firmware's error names (its OpenAPI document) in words a user can act on.
ERROR_MESSAGES = {
    "BadPassword": "the password is wrong",
    "MissingParam": "the firmware found a setting missing or of the wrong type",
    "InvalidPoolConfig": "the pool list is not valid (one to three pools with a URL)",
    "InvalidPoolAddr": "a pool address is not valid (it needs a scheme, e.g. stratum+tcp://)",
    "PasswdChangeFailed": "the password could not be changed",
    "InvalidChecksum": "the file's checksum does not match",
    "BadUpdateFile": "the firmware file is not a valid update",
    "MissingSwuFile": "the firmware file holds no update image",
    "InvalidNumberOfFiles": "exactly one firmware file is needed",
    "InvalidMultipart": "the upload was not a multipart form",
}


# --- parsers ------------------------------------------------------------------------------


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _reply(reply: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(reply, Mapping):
        raise MinerProtocolError(f"The ePIC {what} reply is not a JSON object")
    return reply


def firmware_version(software: Any) -> str | None:
    """``PowerPlay-BMS v1.5.13`` → ``1.5.13``; another text as it is."""
    text = as_str(software)
    if text is None:
        return None
    return text.removeprefix(SOFTWARE_PREFIX) if text.startswith(SOFTWARE_PREFIX) else text


@dataclass(frozen=True, slots=True)
class EpicCapabilities:
    """What ``/capabilities`` says of the hardware."""

    model: str | None = None
    chips_per_board: int | None = None
    board_serials: tuple[str, ...] = ()
    max_boards: int | None = None
    power_range: NumberRange | None = None
    default_hashrate: float | None = None  # TH/s


def parse_capabilities(reply: Any) -> EpicCapabilities:
    caps = _reply(reply, "capabilities")
    watts = [
        power
        for preset in _list(caps.get("Tune Presets"))
        if (power := positive(as_float(_obj(preset).get("power")))) is not None
    ]
    serials = tuple(
        serial for item in _list(caps.get("Board Serial Numbers")) if (serial := as_str(item))
    )
    return EpicCapabilities(
        model=as_str(caps.get("Model")),
        chips_per_board=as_int(_obj(caps.get("Performance Estimator")).get("Chip Count")),
        board_serials=serials,
        max_boards=as_int(caps.get("Max HBs")),
        power_range=NumberRange(min(watts), max(watts), 1.0) if watts else None,
        default_hashrate=positive(as_float(caps.get("Default Hashrate"))),
    )


def is_epic_capabilities(reply: Any) -> bool:
    """Whether a reply looks like ePIC's ``/capabilities``."""
    return (
        isinstance(reply, Mapping)
        and as_str(reply.get("Model")) is not None
        and ("Max HBs" in reply or "Tune Presets" in reply or "PerpetualTune" in reply)
    )


def parse_network(reply: Any) -> str | None:
    """The MAC from ``/network`` (under ``dhcp`` or ``static``, whichever is in use)."""
    for settings in _reply(reply, "network").values():
        mac = as_str(_obj(settings).get("mac_address"))
        if mac:
            return mac.upper()
    return None


def write_error(reply: Any) -> tuple[str, str] | None:
    """None when a write's reply says it worked, else (the firmware's error name, in words)."""
    answer = _reply(reply, "write")
    if answer.get("result") is True:
        return None
    error = answer.get("error")
    if isinstance(error, Mapping) and error:
        name, detail = next(iter(error.items()))
        text = ERROR_MESSAGES.get(str(name), str(name))
        return str(name), f"{text} ({detail})" if as_str(detail) else text
    name = as_str(error)
    if name is None:
        return "unknown", "the firmware refused it without saying why"
    return name, ERROR_MESSAGES.get(name, name)


def _mhs_to_th(value: Any) -> float | None:
    number = as_float(value)
    return round(number / 1e6, 6) if number is not None else None


def _without_scheme(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/").lower()


def parse_pools(summary: Mapping[str, Any]) -> tuple[Pool, ...]:
    stratum = _obj(summary.get("Stratum"))
    current = as_str(stratum.get("Current Pool"))
    connected = as_bool(stratum.get("IsPoolConnected"))
    pools = []
    for position, item in enumerate(_list(summary.get("StratumConfigs"))):
        url = as_str(_obj(item).get("pool"))
        if url is None:
            continue
        active = None if current is None else _without_scheme(url) == _without_scheme(current)
        pools.append(
            Pool(
                index=position,
                url=url,
                user=as_str(_obj(item).get("login")),
                active=active,
                alive=connected if active else None,
            )
        )
    return tuple(pools)


def parse_chip_temps(reply: Any) -> dict[int, float]:
    """``/temps``: per board ``Index``, the hottest of its chip sensors (inlet, outlet)."""
    temps = {}
    for item in _list(reply):
        board = _obj(item)
        index = as_int(board.get("Index"))
        values = [temp for value in _list(board.get("Data")) if (temp := positive(as_float(value)))]
        if index is not None and values:
            temps[index] = max(values)
    return temps


def parse_boards(
    summary: Mapping[str, Any], caps: EpicCapabilities, chip_temps: Mapping[int, float]
) -> tuple[Board, ...]:
    """``HBs[]``: ``Hashrate`` is [MH/s, % of the ideal rate, error %]."""
    serials = caps.board_serials if len(caps.board_serials) == caps.max_boards else ()
    boards = []
    for item in _list(summary.get("HBs")):
        board = _obj(item)
        index = as_int(board.get("Index"))
        if index is None:
            continue
        rate = _list(board.get("Hashrate"))
        hashrate = _mhs_to_th(rate[0]) if rate else None
        share = positive(as_float(rate[1])) if len(rate) > 1 else None
        ideal = hashrate * 100 / share if hashrate is not None and share is not None else None
        boards.append(
            Board(
                index=index,
                hashrate=hashrate,
                expected_hashrate=round(ideal, 3) if ideal is not None else None,
                chip_temp=chip_temps.get(index),
                board_temp=positive(as_float(board.get("Temperature"))),
                expected_chips=caps.chips_per_board,
                serial=serials[index] if 0 <= index < len(serials) else None,
            )
        )
    return tuple(boards)


def parse_fans(summary: Mapping[str, Any]) -> tuple[Fan, ...]:
    """``Fans Rpm`` "Fans Speed 1…12" (null for an empty slot); ``Fans.Fans Speed`` is the %."""
    percent = as_float(_obj(summary.get("Fans")).get("Fans Speed"))
    fans = []
    for key, value in _obj(summary.get("Fans Rpm")).items():
        slot = as_int(str(key).rsplit(" ", 1)[-1])
        rpm = as_int(value)
        if slot is None or rpm is None:
            continue
        fans.append(Fan(index=slot - 1, rpm=rpm, percent=percent))
    return tuple(sorted(fans, key=lambda fan: fan.index))


def parse_is_mining(state: Any) -> bool | None:
    """``Status.Operating State``: Mining, Idling, UpdatingFirmware…"""
    text = (as_str(state) or "").lower()
    if any(word in text for word in MINING_STATES):
        return True
    if any(word in text for word in STOPPED_STATES):
        return False
    return None


def parse_power_limit(summary: Mapping[str, Any]) -> float | None:
    """The tuner's target when it is in watts, else the watts of the preset it runs."""
    algorithms = _obj(_obj(summary.get("PerpetualTune")).get("Algorithm"))
    for settings in algorithms.values():
        if (as_str(_obj(settings).get("Unit")) or "").upper() == "W":
            return positive(as_float(_obj(settings).get("Target")))
    return positive(as_float(_obj(summary.get("PresetInfo")).get("Target Power")))


def throttle_settings(summary: Mapping[str, Any]) -> dict[str, int]:
    """The running tuner's throttle settings, to send back with a new target."""
    algorithms = _obj(_obj(summary.get("PerpetualTune")).get("Algorithm"))
    for settings in algorithms.values():
        stats = _obj(settings)
        return {
            key: value
            for key, name in THROTTLE_SETTINGS
            if (value := as_int(stats.get(name))) is not None
        }
    return {}


def parse_errors(summary: Mapping[str, Any]) -> tuple[ReportedError, ...]:
    errors = []
    last = as_str(_obj(summary.get("Status")).get("Last Error"))
    if last:
        errors.append(ReportedError("last_error", f"The miner reports: {last}"))
    license_error = as_str(summary.get("Last License Error"))
    if license_error:
        errors.append(ReportedError("license", f"License problem: {license_error}"))
    for item in _list(summary.get("HBStatus")):
        status = _obj(item)
        index = as_int(status.get("Index"))
        if index is not None and as_bool(status.get("Detected")) is False:
            errors.append(ReportedError(f"board_{index}", f"Hashboard {index} is not detected"))
    return tuple(errors)


def capabilities_for(caps: EpicCapabilities | None) -> Capabilities:
    if caps is None:
        return Capabilities()
    return Capabilities(
        mining_switch=True,
        fault_light=True,
        reboot=True,
        restart_mining=True,
        pools=True,
        power_limit=caps.power_range,
    )


def build_miner_data(
    summary_reply: Any, caps: EpicCapabilities, mac: str | None, temps_reply: Any = None
) -> MinerData:
    """One poll's ``/summary`` and ``/temps``, with the facts read at connect → ``MinerData``."""
    summary = _reply(summary_reply, "summary")
    if "HBs" not in summary and "Session" not in summary:
        raise MinerProtocolError("The ePIC summary reply has neither HBs nor Session")
    boards = parse_boards(summary, caps, parse_chip_temps(temps_reply))
    chip_temps = [board.chip_temp for board in boards if board.chip_temp is not None]
    rates = [board.hashrate for board in boards if board.hashrate is not None]
    ideals = [board.expected_hashrate for board in boards if board.expected_hashrate is not None]
    temps = [board.board_temp for board in boards if board.board_temp is not None]
    hashrate = round(sum(rates), 6) if rates else None
    power = positive(as_float(_obj(summary.get("Power Supply Stats")).get("Input Power")))
    clocks = [
        clock
        for item in _list(summary.get("HBs"))
        if (clock := positive(as_float(_obj(item).get("Core Clock Avg")))) is not None
    ]
    session = _obj(summary.get("Session"))
    fan_mode = _obj(_obj(summary.get("Fans")).get("Fan Mode"))
    return MinerData(
        family=Family.EPIC,
        model=caps.model,
        firmware_version=firmware_version(summary.get("Software")),
        mac=mac,
        hostname=as_str(summary.get("Hostname")),
        hashrate=hashrate,
        expected_hashrate=round(sum(ideals), 3) if ideals else None,
        power=round(power, 1) if power is not None else None,
        power_limit=parse_power_limit(summary),
        efficiency=efficiency(power, hashrate),
        chip_temp_max=max(chip_temps) if chip_temps else None,
        chip_temp_avg=round(sum(chip_temps) / len(chip_temps), 1) if chip_temps else None,
        board_temp_max=max(temps) if temps else None,
        frequency=round(sum(clocks) / len(clocks), 1) if clocks else None,
        fan_auto=("Auto" in fan_mode) if fan_mode else None,
        uptime=as_int(session.get("Uptime")),
        is_mining=parse_is_mining(_obj(summary.get("Status")).get("Operating State")),
        fault_light=as_bool(_obj(summary.get("Misc")).get("Locate Miner State")),
        shares_accepted=as_int(session.get("Accepted")),
        shares_rejected=as_int(session.get("Rejected")),
        fans=parse_fans(summary),
        boards=boards,
        pools=parse_pools(summary),
        errors=parse_errors(summary),
        capabilities=capabilities_for(caps),
    )


# --- identification -----------------------------------------------------------------------


def page_matches(page: Any) -> bool:
    return "miner web dashboard" in page.body.lower()


async def confirm(probe: Probe) -> Identity | None:
    """ePIC when its API port answers ``/capabilities`` in ePIC's shape.

    The API is looked for on the RPC port (4028 unless given), then on the port asked about
    (someone may have typed the API's own port). A port that answered the CGMiner ``version``
    is a CGMiner socket, not ePIC's API: an HTTP request there would only wait for a reply.
    """
    ports = [probe.port] if await probe.rpc_version is not None else [probe.rpc_port, probe.port]
    for port in dict.fromkeys(ports):
        http = HttpTransport(probe.session, probe.host, port, timeout=probe.timeout)
        try:
            caps = await http.get_json("/capabilities")
            if not is_epic_capabilities(caps):
                continue
            mac = parse_network(await http.get_json("/network"))
            summary = await http.get_json("/summary")
        except MinerError:
            continue
        return Identity(
            host=probe.host,
            port=port,
            family=Family.EPIC,
            model=as_str(caps.get("Model")),
            firmware_version=firmware_version(_obj(summary).get("Software")),
            mac=mac,
            api_flavour="http",
        )
    return None


# --- the miner ----------------------------------------------------------------------------


class EpicMiner(Miner):
    """A miner with an ePIC UMC control board; ``port`` is its HTTP API (4028)."""

    family = Family.EPIC
    default_port = API_PORT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = HttpTransport(self.session, self.host, self.port, timeout=self.timeout)
        self._caps: EpicCapabilities | None = None
        self._mac: str | None = None
        self._last_uptime: int | None = None

    @property
    def password(self) -> str:
        given = self.credentials.password
        return DEFAULT_PASSWORD if given is None else given

    @property
    def web_port(self) -> int:
        return WEB_PORT  # the dashboard; the API has a port of its own

    @property
    def capabilities(self) -> Capabilities:
        return capabilities_for(self._caps)

    async def _connect(self) -> None:
        caps, network = await asyncio.gather(
            self.http.get_json("/capabilities"), self.http.get_json("/network")
        )
        await self._write("/authenticate", None)
        self._caps = parse_capabilities(caps)
        self._mac = parse_network(network)

    async def read(self) -> MinerData:
        async with self.lock:
            if self._caps is None:
                await self._connect()
            summary, temps = await asyncio.gather(
                self.http.get_json("/summary"), self.http.get_json("/temps")
            )
            uptime = as_int(_obj(_obj(summary).get("Session")).get("Uptime"))
            if uptime is not None and self._last_uptime is not None and uptime < self._last_uptime:
                await self._connect()  # it rebooted, maybe into a new release or password
            self._last_uptime = uptime
            assert self._caps is not None
            return build_miner_data(summary, self._caps, self._mac, temps)

    async def _write(self, route: str, param: Any) -> None:
        """POST ``param`` with the password; a refusal raises with the firmware's reason."""
        body: dict[str, Any] = {"password": self.password}
        if param is not None:
            body["param"] = param
        status, _, reply = await self.http.request(
            "POST", route, json_body=body, allow_redirects=False
        )
        try:
            error = write_error(decode_json(reply, f"{self.host}{route}"))
        except MinerProtocolError:
            self.http.raise_for_status(status, route, reply, write=True)
            raise
        if error is None:
            return
        name, text = error
        if name == "BadPassword":
            raise MinerAuthError(
                f"{self.host} refused the password; enter the one set in the ePIC dashboard"
            )
        raise MinerCommandError(f"{self.host} refused {route}: {text}", code=name)

    async def set_mining(self, enabled: bool) -> None:
        async with self.lock:
            await self._write("/miner", "Autostart" if enabled else "Stop")

    async def reboot(self) -> None:
        async with self.lock:
            await self._write("/reboot", 0)

    async def restart_mining(self) -> None:
        async with self.lock:
            await self._write("/softreboot", None)

    async def set_fault_light(self, on: bool) -> None:
        async with self.lock:
            await self._write("/identify", on)

    async def set_power_limit(self, watts: float) -> None:
        async with self.lock:
            if self._caps is None:
                await self._connect()
            assert self._caps is not None
            limits = self._caps.power_range
            if limits is None:
                raise MinerCommandError(f"{self.host} reports no tune presets to set watts within")
            if not limits.contains(watts):
                raise MinerCommandError(
                    f"{watts:g} W is outside this miner's range of {limits.min:g}-{limits.max:g} W"
                )
            summary = _reply(await self.http.get_json("/summary"), "summary")
            await self._write(
                "/perpetualtune/algo",
                {"algo": POWER_ALGORITHM, "target": round(watts), **throttle_settings(summary)},
            )

    async def set_pools(self, pools: Sequence[PoolConfig]) -> None:
        if not 1 <= len(pools) <= POOL_SLOTS:
            raise MinerCommandError("ePIC takes one to three pools")
        if any(not pool.url.strip() for pool in pools):
            raise MinerCommandError("A pool needs a URL")
        async with self.lock:
            summary = _reply(await self.http.get_json("/summary"), "summary")
            param: dict[str, Any] = {
                "coin": as_str(_obj(summary.get("Mining")).get("Coin")) or "BTC",
                "stratum_configs": [
                    {"pool": pool.url.strip(), "login": pool.user, "password": pool.password}
                    for pool in pools
                ],
            }
            unique = as_bool(_obj(summary.get("Stratum")).get("Worker Unique Id"))
            if unique is not None:
                param["unique_id"] = unique
            await self._write("/coin", param)
