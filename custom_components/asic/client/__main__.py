"""Command line for users and support: ``python -m custom_components.asic.client``.

identify HOST[:PORT]   family, model, firmware and MAC as JSON
read HOST[:PORT]       one poll of the miner as JSON (MinerData)
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import json
import sys

import aiohttp

from . import Credentials, Family, MinerError, connect, identify, split_host_port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.asic.client",
        description="Talk to a Bitcoin ASIC miner on the local network.",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    commands = parser.add_subparsers(dest="command", required=True)
    ident = commands.add_parser("identify", help="say which miner answers at HOST")
    ident.add_argument("host", metavar="HOST[:PORT]")
    ident.add_argument("--rpc-port", type=int, help="the RPC (or ePIC API) port if not 4028")
    read = commands.add_parser("read", help="read everything the miner reports, as JSON")
    read.add_argument("host", metavar="HOST[:PORT]")
    read.add_argument("--family", choices=[family.value for family in Family])
    read.add_argument("--username")
    read.add_argument("--password")
    read.add_argument("--rpc-port", type=int, help="the RPC port if not 4028")
    return parser


async def _run(args: argparse.Namespace) -> dict[str, object]:
    host, port = split_host_port(args.host)
    async with aiohttp.ClientSession() as session:
        if args.command == "identify":
            found = await identify(
                host, session, port=port, timeout=args.timeout, rpc_port=args.rpc_port
            )
            return {
                "host": found.host,
                "port": found.port,
                "family": found.family.value,
                "model": found.model,
                "firmware_version": found.firmware_version,
                "mac": found.mac,
                "api_flavour": found.api_flavour,
            }
        miner = await connect(
            host,
            session,
            family=args.family,
            port=port,
            credentials=Credentials(args.username, args.password),
            timeout=args.timeout,
            rpc_port=args.rpc_port,
        )
        data = await miner.read()
        return data.as_dict()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = asyncio.run(_run(args))
    except MinerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
