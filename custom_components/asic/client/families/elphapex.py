"""Elphapex scrypt miners (DG1, DG1+, DG Home): Antminer-shaped CGI behind the realm "Daoge".

What differs from stock modern Antminer firmware: readings come from the firmware's own CGI
scripts, not the RPC — ``stats.cgi`` (the ``new_api``-like ``STATS[0].chain`` in MH/s, chip
sensors as text in thousandths of a degree, fans as text), ``summary.cgi`` (the error report
and best share) and ``pools.cgi`` (lower-case pool keys) — and the configuration keys are
``fc-*`` (``fc-work-mode`` read back, ``fc-fan-ctrl``/``fc-fan-pwm``/``fc-freq-level``
written) beside the stock ``miner-mode`` and ``pools``. Login, ``blink.cgi``,
``get_blink_status.cgi``, ``reboot.cgi`` and the work modes (0 normal, 1 sleep, 3 low) are
stock, and so is the read-modify-write of ``set_miner_conf.cgi``.

Requests: at connect ``get_system_info.cgi``; each poll 5 — ``stats.cgi``, ``summary.cgi``,
``pools.cgi``, ``get_blink_status.cgi`` and ``get_miner_conf.cgi`` (the work mode).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..errors import MinerCommandError, MinerProtocolError
from ..models import Family, Identity, MinerData, Pool
from ..probe import Probe, WebPage
from ..units import as_bool, as_float, as_int, as_str, positive
from . import antminer
from .antminer import MODERN, AntminerModel

REALM = "daoge"
STATS = "/cgi-bin/stats.cgi"
SUMMARY = "/cgi-bin/summary.cgi"
POOLS = "/cgi-bin/pools.cgi"

MODELS: dict[str, AntminerModel] = {
    row.name.lower(): row
    for row in (
        AntminerModel("DG1+", MODERN, 4, 204, 4, 0.0144),
        AntminerModel("DG1", MODERN, 4, 144, 4, 0.011),
        AntminerModel("DG1-Home", MODERN, 4, 120, 4, 0.0021),
    )
}


def page_matches(page: WebPage) -> bool:
    return (page.realm or "").lower().startswith(REALM)


def _object(reply: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(reply, Mapping):
        raise MinerProtocolError(f"{what} did not answer a JSON object")
    return reply


def _chip_temp(values: Any) -> float | None:
    """The hottest of ``["47125", "50500", "", ""]`` (thousandths of a degree)."""
    readings = [
        number / 1000
        for value in (values if isinstance(values, list) else [])
        if (number := positive(as_float(value))) is not None
    ]
    return max(readings) if readings else None


def parse_stats(reply: Any, model: AntminerModel | None = None) -> antminer.Stats:
    """``stats.cgi``: the stock ``new_api`` reader, with Elphapex's chip sensors and MH/s."""
    stats = antminer.parse_stats(_object(reply, "stats.cgi"), model)
    items = reply.get("STATS")
    chains: list[Any] = next(
        (
            item["chain"]
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping) and isinstance(item.get("chain"), list)
        ),
        [],
    )
    temps = [
        _chip_temp(chain.get("temp_chip")) if isinstance(chain, Mapping) else None
        for chain in chains
    ]
    boards = tuple(
        replace(board, chip_temp=temps[position] if position < len(temps) else None)
        for position, board in enumerate(stats.boards)
    )
    return replace(stats, boards=boards)


def parse_summary(reply: Any) -> tuple[int | None, float | None]:
    """``summary.cgi`` → (uptime s, best share)."""
    summary = antminer._first(_object(reply, "summary.cgi"), "SUMMARY")
    return as_int(summary.get("elapsed")), positive(as_float(summary.get("bestshare")))


def parse_pools(reply: Any) -> tuple[Pool, ...]:
    """``pools.cgi``: the alive pool of the lowest ``priority`` is the one mined on."""
    items = _object(reply, "pools.cgi").get("POOLS")
    entries = [
        item
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, Mapping) and as_str(item.get("url"))
    ]
    alive = [item for item in entries if as_str(item.get("status")) == "Alive"]
    active = min(alive, key=lambda item: as_float(item.get("priority")) or 0.0, default=None)
    return tuple(
        Pool(
            index=position if (index := as_int(item.get("index"))) is None else index,
            url=as_str(item.get("url")) or "",
            user=as_str(item.get("user")),
            active=item is active,
            alive=as_str(item.get("status")) == "Alive",
            accepted=as_int(item.get("accepted")),
            rejected=as_int(item.get("rejected")),
        )
        for position, item in enumerate(entries)
    )


class ElphapexMiner(antminer.AntminerMiner):
    """An Elphapex DG box."""

    restarts_mining_on_save = False

    family = Family.ELPHAPEX

    def model_row(self, name: str | None) -> AntminerModel | None:
        return MODELS.get((name or "").strip().lower())

    def _conf_mode(self, conf: Mapping[str, Any]) -> int | None:
        return as_int(conf.get("fc-work-mode"))

    async def _connect(self) -> None:
        info = antminer.parse_system_info(await self.http.get_json(antminer.SYSTEM_INFO))
        self._info, self._flavour = info, MODERN

    async def read(self) -> MinerData:
        async with self.lock:
            if self._info is None:
                await self._connect()
            info = self._info
            assert info is not None
            stats = parse_stats(await self.http.get_json(STATS), self.model_row(info.model))
            summary_reply = await self.http.get_json(SUMMARY)
            uptime, best_share = parse_summary(summary_reply)
            pools = parse_pools(await self.http.get_json(POOLS))
            fault_light = await self._blink_state()
            mode = self._conf_mode(await self._read_conf())
        data = antminer.build_miner_data(
            info,
            MODERN,
            antminer.Summary(hashrate=stats.hashrate, uptime=uptime, best_share=best_share),
            stats,
            pools,
            mode=mode,
            fault_light=fault_light,
            errors=antminer.parse_status_report(summary_reply),
        )
        return replace(
            data,
            family=Family.ELPHAPEX,
            capabilities=self.capabilities,
            shares_accepted=sum(pool.accepted or 0 for pool in pools) if pools else None,
            shares_rejected=sum(pool.rejected or 0 for pool in pools) if pools else None,
        )

    async def _write_conf(
        self, conf: Mapping[str, Any], *, mode: int | None = None, pools: list[dict[str, str]]
    ) -> None:
        """``set_miner_conf.cgi`` with Elphapex's keys: what ``conf`` holds, mode/pools changed."""
        wanted = self._conf_mode(conf) if mode is None else mode
        body: dict[str, Any] = {
            "fc-fan-ctrl": bool(as_bool(conf.get("fc-fan-ctrl"))),
            "fc-fan-pwm": as_str(conf.get("fc-fan-pwm")) or "100",
            "fc-freq-level": as_str(conf.get("fc-freq-level")) or "100",
            "miner-mode": antminer.NORMAL if wanted is None else wanted,
            "pools": pools,
        }
        reply = await self._post_json(antminer.SET_CONF, body)
        if not antminer._conf_written(reply):
            message = as_str(reply.get("msg")) if isinstance(reply, Mapping) else as_str(reply)
            raise MinerCommandError(
                f"{self.host} refused the configuration: {message or 'no reason given'}",
                code=reply.get("code") if isinstance(reply, Mapping) else None,
            )


async def confirm(probe: Probe) -> Identity | None:
    """The realm says Elphapex; the facts need the login (unknown behind another one)."""
    info = await antminer.probe_system_info(probe) or antminer.SystemInfo()
    return Identity(
        host=probe.host,
        port=probe.port,
        family=Family.ELPHAPEX,
        model=info.model,
        firmware_version=info.firmware_version,
        mac=info.mac,
        api_flavour="cgi",
    )
