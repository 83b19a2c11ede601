"""No log record, at any level, carries a password or a token or session id a miner issued.

One row per family with a login, token or session (AxeOS has none of them): the miner is added
through the config flow, polled, controlled, its token or session expired, its password
changed (a reauth), all with DEBUG logging; then every record's message, arguments and
exception text is searched for each secret. A new family is one more row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
import logging
from typing import Any

from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.const import ATTR_DEVICE_ID, CONF_PASSWORD, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.asic.client.families import (
    auradine as auradine_family,
    whatsminer as whatsminer_family,
)
from custom_components.asic.const import DOMAIN, SERVICE_SET_POOLS
from tests.simulator import MinerSpec, SimulatedMiner, Simulator

from .devices import device_with_id
from .family_flow import add_through_flow, call, refresh, sim

pytestmark = pytest.mark.usefixtures("socket_enabled")

# Distinctive, so that a match can only be a leak (Whatsminer v2 takes 8 of [A-Za-z0-9_]).
FIRST_PASSWORD = "Qx7_pW9z"
NEW_PASSWORD = "Zr4_kT2m"

type Control = Callable[[HomeAssistant, ConfigEntry, SimulatedMiner], Awaitable[None]]


async def fault_light_on(hass: HomeAssistant, entry: ConfigEntry, miner: SimulatedMiner) -> None:
    (entity_id,) = (
        registered.entity_id
        for registered in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if registered.entity_id.startswith("switch.")
        and registered.entity_id.endswith("_fault_light")
    )
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, entity_id)


async def write_pools(hass: HomeAssistant, entry: ConfigEntry, miner: SimulatedMiner) -> None:
    device = device_with_id(hass, entry.unique_id or "")
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        SERVICE_SET_POOLS,
        {ATTR_DEVICE_ID: device.id, "url_1": "stratum+tcp://pool.example:3333", "user_1": "w.1"},
        blocking=True,
    )


def whatsminer_v2_secrets(miner: SimulatedMiner) -> set[str]:
    """The signed tokens it handed out, and the password hash its AES key comes from."""
    tokens = {token.sign for issued in sim(miner, "tokens").values() for token in issued}
    return tokens | {sim(miner, "passwd_md5")}


def forget_whatsminer_v2_tokens(miner: SimulatedMiner) -> None:
    for issued in sim(miner, "tokens").values():
        issued.clear()


def braiins_tokens(miner: SimulatedMiner) -> set[str]:
    return set(sim(miner, "tokens"))


def luxos_session(miner: SimulatedMiner) -> set[str]:
    session: str = sim(miner, "session_id")
    return {session} if session else set()


def set_attribute(name: str) -> Callable[[SimulatedMiner, str], None]:
    def change(miner: SimulatedMiner, password: str) -> None:
        setattr(miner, name, password)

    return change


def set_whatsminer_password(miner: SimulatedMiner, password: str) -> None:
    sim(miner, "_set_password")(password)


def set_digest_password(miner: SimulatedMiner, password: str) -> None:
    sim(miner, "auth").password = password


def nothing_issued(_miner: SimulatedMiner) -> set[str]:
    return set()


def keys_of(name: str) -> Callable[[SimulatedMiner], set[str]]:
    """The tokens or session cookies a simulated miner keeps in a dict by value."""

    def issued(miner: SimulatedMiner) -> set[str]:
        return set(sim(miner, name))

    return issued


def clear(name: str) -> Callable[[SimulatedMiner], None]:
    """Every token or session forgotten, as an expiry or a reboot does."""

    def expire(miner: SimulatedMiner) -> None:
        sim(miner, name).clear()

    return expire


def goldshell_token(miner: SimulatedMiner) -> set[str]:
    """Goldshell's JWT never expires; it is derived from the login, so it changes with it."""
    return {sim(miner, "token")}


@dataclass(frozen=True, slots=True)
class FamilyCase:
    """How one family logs in, is controlled, expires its tokens and changes its password."""

    spec: MinerSpec
    control: Control
    # Tokens or session ids the simulated miner has issued so far (asked after each step).
    issued: Callable[[SimulatedMiner], set[str]] = nothing_issued
    expire: Callable[[SimulatedMiner], None] | None = None
    change_password: Callable[[SimulatedMiner, str], None] | None = None
    login: dict[str, str] = field(default_factory=lambda: {CONF_PASSWORD: FIRST_PASSWORD})
    rpc_port_name: str = "rpc"


CASES: dict[str, FamilyCase] = {
    "antminer": FamilyCase(
        MinerSpec(family="antminer", model="Antminer S21", hostname="s21", password=FIRST_PASSWORD),
        fault_light_on,
        change_password=set_digest_password,
    ),
    "whatsminer-v2": FamilyCase(
        MinerSpec(family="whatsminer", model="M30S+", hostname="m30", password=FIRST_PASSWORD),
        fault_light_on,
        issued=whatsminer_v2_secrets,
        expire=forget_whatsminer_v2_tokens,
        change_password=set_whatsminer_password,
    ),
    "whatsminer-v3": FamilyCase(
        MinerSpec(
            family="whatsminer", model="M60S", api="v3", hostname="m60", password=FIRST_PASSWORD
        ),
        fault_light_on,
        change_password=set_whatsminer_password,
    ),
    "braiins": FamilyCase(
        MinerSpec(
            family="braiins", model="Antminer S19 XP", hostname="bos", password=FIRST_PASSWORD
        ),
        fault_light_on,
        issued=braiins_tokens,
        expire=lambda miner: sim(miner, "expire_tokens")(),
        change_password=set_attribute("password"),
    ),
    "luxos": FamilyCase(
        MinerSpec(family="luxos", model="Antminer S19k Pro", hostname="lux"),
        fault_light_on,
        issued=luxos_session,
        expire=lambda miner: sim(miner, "expire_session")(),
        login={},
    ),
    "avalon": FamilyCase(
        MinerSpec(family="avalon", model="Avalon Nano 3S", password=FIRST_PASSWORD),
        write_pools,  # the one command that carries the web login
        change_password=set_attribute("password"),
    ),
    "vnish": FamilyCase(
        MinerSpec(family="vnish", model="Antminer S19j Pro", password=FIRST_PASSWORD),
        write_pools,  # the light is toggled only when it must change; pools always write
        issued=keys_of("tokens"),
        expire=clear("tokens"),
        change_password=set_attribute("password"),
    ),
    "epic": FamilyCase(
        MinerSpec(family="epic", model="Antminer S19 XP", password=FIRST_PASSWORD),
        fault_light_on,
        change_password=set_attribute("password"),
        rpc_port_name="api",
    ),
    "auradine": FamilyCase(
        MinerSpec(family="auradine", model="AT1500", password=FIRST_PASSWORD),
        fault_light_on,
        issued=keys_of("tokens"),
        expire=clear("tokens"),
        change_password=set_attribute("password"),
    ),
    "goldshell": FamilyCase(
        MinerSpec(family="goldshell", model="KD Box II", password=FIRST_PASSWORD),
        fault_light_on,
        issued=goldshell_token,
        change_password=set_attribute("password"),
    ),
    "iceriver": FamilyCase(
        MinerSpec(family="iceriver", model="KS5L", password=FIRST_PASSWORD),
        fault_light_on,
        issued=keys_of("sessions"),
        expire=clear("sessions"),
        change_password=set_attribute("password"),
    ),
    "innosilicon": FamilyCase(
        MinerSpec(family="innosilicon", model="T3H+", password=FIRST_PASSWORD),
        write_pools,
        issued=keys_of("tokens"),
        expire=clear("tokens"),
        change_password=set_attribute("password"),
    ),
    **{
        family: FamilyCase(
            MinerSpec(family=family, model=model, password=FIRST_PASSWORD),
            fault_light_on,
            change_password=set_digest_password,
        )
        for family, model in (
            ("hiveon", "Antminer S19j Pro"),
            ("marafw", "Antminer S19 XP"),
            ("elphapex", "DG1+"),
            ("hammer", "Hammer D10"),
            ("volcminer", "VolcMiner D1"),
        )
    },
}


def record_texts(record: logging.LogRecord) -> Iterable[str]:
    """Everything of a record that a handler could write out."""
    yield str(record.msg)
    args = record.args if isinstance(record.args, tuple) else (record.args,)
    yield from (repr(arg) for arg in args if arg is not None)
    yield logging.Formatter().format(record)  # the message with its traceback, if any
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        yield repr(error)
        yield from (repr(arg) for arg in error.args)


def leaks(records: Iterable[logging.LogRecord], secrets: set[str]) -> list[str]:
    return [
        f"{record.name} {record.levelname}: {secret!r} in {text[:200]!r}"
        for record in records
        for text in record_texts(record)
        for secret in secrets
        if secret in text
    ]


def test_the_check_finds_a_leak() -> None:
    """The search itself works: in the message, in an argument, in an exception."""
    try:
        raise ValueError(f"token {NEW_PASSWORD} refused")
    except ValueError as err:
        in_exception = logging.LogRecord(
            "x", logging.ERROR, "", 0, "failed", (), (ValueError, err, None)
        )
    in_message = logging.LogRecord("x", logging.DEBUG, "", 0, f"login {FIRST_PASSWORD}", (), None)
    in_argument = logging.LogRecord("x", logging.DEBUG, "", 0, "as %s", ({"pw": "s3cr3t"},), None)
    clean = logging.LogRecord("x", logging.DEBUG, "", 0, "polled %s", ("127.0.0.1",), None)
    assert len(leaks([in_message], {FIRST_PASSWORD})) >= 1
    assert len(leaks([in_argument], {"s3cr3t"})) >= 1
    assert len(leaks([in_exception], {NEW_PASSWORD})) >= 1
    assert leaks([clean], {FIRST_PASSWORD, NEW_PASSWORD, "s3cr3t"}) == []


@pytest.mark.parametrize("case_id", list(CASES))
async def test_no_secret_in_any_log_record(
    hass: HomeAssistant,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    case_id: str,
) -> None:
    case = CASES[case_id]
    caplog.set_level(logging.DEBUG)
    miner = await simulator.start(case.spec)
    secrets: set[str] = set()
    if "api" in miner.ports and case.spec.family == "auradine":
        monkeypatch.setattr(auradine_family, "API_PORT", miner.ports["api"])
    if "rpc_v3" in miner.ports:
        monkeypatch.setattr(whatsminer_family, "V3_PORT", miner.ports["rpc_v3"])
        # v3 signs every write with a fresh token: note each one the miner checks.
        check = sim(miner, "_v3_authorized")

        def noting(command: str, request: dict[str, Any]) -> bool:
            secrets.add(str(request.get("token")))
            result: bool = check(command, request)
            return result

        monkeypatch.setattr(miner, "_v3_authorized", noting)

    def note_issued() -> None:
        secrets.update(case.issued(miner))

    # Set-up through the flow, a poll, a control.
    entry = await add_through_flow(hass, miner, rpc_port_name=case.rpc_port_name, **case.login)
    await refresh(hass, entry)
    await case.control(hass, entry, miner)
    note_issued()

    # An expired token or session: renewed, the control goes through.
    if case.expire is not None:
        case.expire(miner)
        await refresh(hass, entry)
        await case.control(hass, entry, miner)
        note_issued()

    # The password changed on the miner: the poll or the next control finds out, reauth.
    if case.change_password is not None:
        case.change_password(miner, NEW_PASSWORD)
        if case.expire is not None:
            case.expire(miner)
        await refresh(hass, entry)
        with suppress(HomeAssistantError):  # refused for its login: reauth has started
            await case.control(hass, entry, miner)
        await hass.async_block_till_done()
        flows = [
            flow
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
            if flow["context"]["source"] == SOURCE_REAUTH
        ]
        assert len(flows) == 1
        await hass.config_entries.flow.async_configure(
            flows[0]["flow_id"], {CONF_PASSWORD: NEW_PASSWORD}
        )
        await hass.async_block_till_done()
        assert entry.data[CONF_PASSWORD] == NEW_PASSWORD
        await case.control(hass, entry, miner)
        note_issued()

    secrets.discard("")
    if case.issued is not nothing_issued or "rpc_v3" in miner.ports:
        assert secrets, "the miner issued tokens or sessions, and they were noted"
    if case.login:
        secrets |= {FIRST_PASSWORD, NEW_PASSWORD} if case.change_password else {FIRST_PASSWORD}
    assert secrets, "the row must name at least one secret"
    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    assert leaks(caplog.records, secrets) == []
