"""``python -m tests.simulator --fleet demo``: run a fleet of simulated miners until stopped.

Prints one JSON line per miner on stdout once all of them listen; messages go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import json
import os
import signal
import sys

from .control import ControlServer
from .fleet import load_fleet
from .simulator import DEFAULT_REBOOT_SECONDS, Simulator


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator",
        description="Simulated Bitcoin ASIC miners on loopback addresses.",
    )
    parser.add_argument(
        "--fleet",
        default="demo",
        help="a preset (demo, axeos, scale:N) or a JSON/YAML fleet file (default: demo)",
    )
    parser.add_argument(
        "--real-ports",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="give each miner its own 127.0.0.N and the real ports (default: on when root)",
    )
    parser.add_argument(
        "--control-port",
        type=int,
        default=None,
        help="serve the control endpoint on 127.0.0.1:PORT (0 picks a free port)",
    )
    parser.add_argument(
        "--reboot-seconds",
        type=float,
        default=DEFAULT_REBOOT_SECONDS,
        help=f"how long a reboot keeps a miner down (default: {DEFAULT_REBOOT_SECONDS:g})",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    try:
        specs = load_fleet(args.fleet)
    except ValueError as err:
        print(f"simulator: {err}", file=sys.stderr)
        return 2
    real_ports = args.real_ports if args.real_ports is not None else os.geteuid() == 0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with Simulator(real_ports=real_ports, reboot_seconds=args.reboot_seconds) as sim:
        try:
            miners = await sim.start_fleet(specs)
        except (OSError, ValueError) as err:
            print(f"simulator: cannot start the fleet: {err}", file=sys.stderr)
            return 1
        for miner in miners:
            print(json.dumps(miner.as_json()), flush=True)
        control = None
        if args.control_port is not None:
            control = ControlServer(sim, args.control_port)
            await control.start()
            print(
                f"simulator: control endpoint on http://{control.host}:{control.port}/miners",
                file=sys.stderr,
                flush=True,
            )
        print(f"simulator: {len(miners)} miners running; Ctrl-C stops", file=sys.stderr, flush=True)
        await stop.wait()
        if control is not None:
            await control.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
