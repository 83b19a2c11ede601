"""Command line for users and support: ``python -m custom_components.asic.client``.

identify HOST[:PORT]                family, model, firmware and MAC as JSON
read HOST[:PORT]                    one poll of the miner as JSON (MinerData)
scan NETWORK | HOST[:PORT] ...      one JSON line per miner found, then a summary line;
                                    progress on stderr
control HOST[:PORT] ACTION [VALUE]  mining-off, mining-on, power-limit W, mode NAME,
                                    light-on, light-off, reboot, restart, pools JSON

The password may come from the ``ASIC_PASSWORD`` environment variable instead of
``--password`` (command lines are visible to other users of the machine).

Exit codes: 0 done; 1 the miner cannot be reached or answered something unreadable;
2 usage error; 3 the miner does not support the action; 4 the miner refused the login;
5 the miner refused the command.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Sequence
import json
import os
import sys
from typing import Any

import aiohttp

from . import (
    Credentials,
    Family,
    Identity,
    Miner,
    MinerAuthError,
    MinerCommandError,
    MinerError,
    MinerUnsupportedError,
    PoolConfig,
    ScanResult,
    connect,
    identify,
    scan,
    split_host_port,
)
from .scan import DEFAULT_HOST_TIMEOUT, MAX_SOCKETS, Targets

EXIT_OK = 0
EXIT_MINER_ERROR = 1
EXIT_USAGE = 2
EXIT_UNSUPPORTED = 3
EXIT_AUTH = 4
EXIT_REFUSED = 5
PASSWORD_VARIABLE = "ASIC_PASSWORD"  # noqa: S105 (the variable's name, not a password)

# Actions of ``control`` → whether they take a value, and what they do with the miner.
ACTIONS: dict[str, tuple[bool, Callable[[Miner, Any], Awaitable[None]]]] = {
    "mining-off": (False, lambda miner, _: miner.set_mining(False)),
    "mining-on": (False, lambda miner, _: miner.set_mining(True)),
    "power-limit": (True, lambda miner, watts: miner.set_power_limit(watts)),
    "mode": (True, lambda miner, name: miner.set_power_mode(name)),
    "light-on": (False, lambda miner, _: miner.set_fault_light(True)),
    "light-off": (False, lambda miner, _: miner.set_fault_light(False)),
    "reboot": (False, lambda miner, _: miner.reboot()),
    "restart": (False, lambda miner, _: miner.restart_mining()),
    "pools": (True, lambda miner, pools: miner.set_pools(pools)),
}


class UsageError(Exception):
    """The command line asks for something impossible (exit code 2)."""


def _add_login(command: argparse.ArgumentParser) -> None:
    command.add_argument("--username")
    command.add_argument("--password", help=f"the login's password (default: ${PASSWORD_VARIABLE})")


def _add_miner(command: argparse.ArgumentParser) -> None:
    command.add_argument("host", metavar="HOST[:PORT]")
    command.add_argument("--family", choices=[family.value for family in Family])
    command.add_argument("--rpc-port", type=int, help="the RPC port when it is not 4028")
    _add_login(command)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.asic.client",
        description="Talk to Bitcoin ASIC miners on the local network.",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    commands = parser.add_subparsers(dest="command", required=True)
    ident = commands.add_parser("identify", help="say which miner answers at HOST")
    ident.add_argument("host", metavar="HOST[:PORT]")
    ident.add_argument("--rpc-port", type=int, help="the RPC port when it is not 4028")
    read = commands.add_parser("read", help="read everything the miner reports, as JSON")
    _add_miner(read)
    scanning = commands.add_parser("scan", help="find the miners of a network")
    scanning.add_argument(
        "targets", nargs="+", metavar="NETWORK|HOST[:PORT]", help="e.g. 192.168.1.0/24"
    )
    scanning.add_argument(
        "--host-timeout",
        type=float,
        default=DEFAULT_HOST_TIMEOUT,
        help="seconds a host may take to answer",
    )
    scanning.add_argument(
        "--max-sockets", type=int, default=MAX_SOCKETS, help="sockets open at once, at most"
    )
    _add_login(scanning)
    control = commands.add_parser("control", help="change what the miner does")
    _add_miner(control)
    control.add_argument("action", choices=list(ACTIONS))
    control.add_argument("value", nargs="?", help="W for power-limit, NAME for mode, JSON pools")
    return parser


def _credentials(args: argparse.Namespace) -> Credentials:
    password = args.password if args.password is not None else os.environ.get(PASSWORD_VARIABLE)
    return Credentials(args.username, password)


def identity_json(found: Identity) -> dict[str, Any]:
    return {
        "host": found.host,
        "port": found.port,
        "family": found.family.value,
        "model": found.model,
        "firmware_version": found.firmware_version,
        "mac": found.mac,
        "api_flavour": found.api_flavour,
    }


def parse_pools(text: str) -> list[PoolConfig]:
    """``[{"url": …, "user": …, "password": …}, …]``, one to three pools."""
    try:
        listed = json.loads(text)
    except ValueError as err:
        raise UsageError(f"pools must be JSON: {err}") from err
    if not isinstance(listed, list) or not 1 <= len(listed) <= 3:
        raise UsageError('pools must be a JSON list of one to three {"url", "user"} objects')
    pools = []
    for pool in listed:
        if not isinstance(pool, dict) or not isinstance(pool.get("url"), str):
            raise UsageError(f"each pool needs a url: {json.dumps(pool)}")
        user, password = str(pool.get("user", "")), str(pool.get("password", "x"))
        pools.append(PoolConfig(url=pool["url"], user=user, password=password))
    return pools


def action_value(action: str, value: str | None) -> Any:
    """The value an action takes, checked and converted."""
    takes_value, _ = ACTIONS[action]
    if not takes_value:
        if value is not None:
            raise UsageError(f"{action} takes no value")
        return None
    if value is None:
        raise UsageError(f"{action} needs a value")
    if action == "power-limit":
        try:
            watts = float(value)
        except ValueError as err:
            raise UsageError(f"power-limit takes watts, not {value!r}") from err
        if watts <= 0:
            raise UsageError("power-limit takes a positive number of watts")
        return watts
    if action == "pools":
        return parse_pools(value)
    return value


async def _connect(args: argparse.Namespace, session: aiohttp.ClientSession) -> Miner:
    host, port = split_host_port(args.host)
    return await connect(
        host,
        session,
        family=args.family,
        port=port,
        credentials=_credentials(args),
        timeout=args.timeout,
        rpc_port=args.rpc_port,
    )


async def _scan(args: argparse.Namespace) -> ScanResult:
    targets: Targets = args.targets
    if len(args.targets) == 1 and "/" in args.targets[0]:
        targets = args.targets[0]

    def show_progress(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rscanned {done}/{total}", end=end, file=sys.stderr, flush=True)

    try:
        return await scan(
            targets,
            max_sockets=args.max_sockets,
            host_timeout=args.host_timeout,
            progress=show_progress,
            credentials=_credentials(args),
        )
    except ValueError as err:
        raise UsageError(str(err)) from err


async def _run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """What to print: one JSON document per line."""
    if args.command == "scan":
        result = await _scan(args)
        summary = {
            "scanned": result.scanned,
            "miners": len(result.miners),
            "not_miners": [
                {"host": host.host, "port": host.port, "reason": host.reason}
                for host in result.not_miners
            ],
        }
        return [*(identity_json(found) for found in result.miners), {"summary": summary}]
    if args.command == "control":
        value = action_value(args.action, args.value)
    async with aiohttp.ClientSession() as session:
        if args.command == "identify":
            host, port = split_host_port(args.host)
            found = await identify(
                host, session, port=port, timeout=args.timeout, rpc_port=args.rpc_port
            )
            return [identity_json(found)]
        miner = await _connect(args, session)
        if args.command == "read":
            return [(await miner.read()).as_dict()]
        _, act = ACTIONS[args.action]
        await act(miner, value)
        # Pools are shown as a count: a pool password may be a real secret.
        shown = len(value) if isinstance(value, list) else value
        done = {"host": miner.host, "family": miner.family.value, "action": args.action}
        return [{**done, "value": shown, "done": True}]


def exit_code(err: MinerError) -> int:
    if isinstance(err, MinerUnsupportedError):
        return EXIT_UNSUPPORTED
    if isinstance(err, MinerAuthError):
        return EXIT_AUTH
    if isinstance(err, MinerCommandError):
        return EXIT_REFUSED
    return EXIT_MINER_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        documents = asyncio.run(_run(args))
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except MinerError as err:
        print(f"error: {err}", file=sys.stderr)
        return exit_code(err)
    if args.command in ("identify", "read"):
        print(json.dumps(documents[0], indent=2))
    else:
        for document in documents:
            print(json.dumps(document))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
