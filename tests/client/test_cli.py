"""``python -m custom_components.asic.client``: identify and read, for users and support."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import runpy
import sys
from typing import Any

import pytest

from custom_components.asic.client.__main__ import main
from tests.simulator import SimulatedMiner

REPO = Path(__file__).resolve().parents[2]
IDENTITY_KEYS = {"host", "port", "family", "model", "firmware_version", "mac", "api_flavour"}
CORE_KEYS = {
    "family", "model", "firmware_version", "mac", "serial", "hostname", "hashrate",
    "expected_hashrate", "power", "power_limit", "efficiency", "chip_temp_max",
    "chip_temp_avg", "fans", "uptime", "is_mining", "fault_light", "boards", "pools",
    "errors", "capabilities",
}  # fmt: skip


async def run_cli(*args: str) -> tuple[int, str, str]:
    """The CLI in a child process; this loop keeps serving the simulated miners meanwhile."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.asic.client",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def address(miner: SimulatedMiner) -> str:
    return f"{miner.host}:{miner.port}"


async def test_identify_prints_family_model_firmware_and_mac(gamma: SimulatedMiner) -> None:
    code, out, err = await run_cli("identify", address(gamma))
    assert (code, err) == (0, "")
    shown = json.loads(out)
    assert set(shown) == IDENTITY_KEYS
    assert shown == {
        "host": gamma.host,
        "port": gamma.port,
        "family": "axeos",
        "model": "Bitaxe Gamma",
        "firmware_version": "v2.14.2",
        "mac": gamma.mac,
        "api_flavour": "rest",
    }


async def test_read_prints_miner_data(gamma: SimulatedMiner) -> None:
    code, out, err = await run_cli("read", address(gamma))
    assert (code, err) == (0, "")
    shown = json.loads(out)
    assert set(shown) >= CORE_KEYS
    assert (shown["family"], shown["mac"], shown["hostname"]) == ("axeos", gamma.mac, "gamma")
    assert shown["hashrate"] > 0
    assert shown["capabilities"]["frequency"] == {"min": 400, "max": 625, "step": 1}
    assert shown["pools"][0]["url"].startswith("stratum+tcp://public-pool.io:")


async def test_unreachable_host_exits_1_with_an_error(closed_port: int) -> None:
    code, out, err = await run_cli("--timeout", "2", "read", f"127.0.0.1:{closed_port}")
    assert code == 1
    assert out == ""
    assert err.startswith("error: Cannot reach 127.0.0.1")


# In-process runs, so coverage sees them; a thread gives main() its own event loop while
# the test's loop serves the simulated miner.


async def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err


async def test_main_identify(gamma: SimulatedMiner, capsys: pytest.CaptureFixture[str]) -> None:
    code, shown, _ = await in_process(capsys, "identify", address(gamma))
    assert code == 0
    assert (shown["family"], shown["mac"]) == ("axeos", gamma.mac)


async def test_main_read_with_a_given_family(
    legacy_gamma: SimulatedMiner, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown, _ = await in_process(
        capsys, "read", address(legacy_gamma), "--family", "axeos", "--username", "root"
    )
    assert code == 0
    assert shown["firmware_version"] == "v2.4.5"
    assert shown["best_difficulty"] is not None


async def test_main_reports_errors(closed_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    code, shown, err = await in_process(
        capsys, "--timeout", "1", "identify", f"127.0.0.1:{closed_port}"
    )
    assert (code, shown) == (1, None)
    assert err.startswith("error: ")


async def test_main_reports_an_impossible_port(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = await in_process(capsys, "read", "127.0.0.1:99999", "--family", "axeos")
    assert code == 1
    assert "not a network address" in err


async def test_module_entry_point(
    gamma: SimulatedMiner, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["client", "identify", address(gamma)])
    # runpy runs __main__ afresh; an imported copy would only earn a warning.
    monkeypatch.delitem(sys.modules, "custom_components.asic.client.__main__")

    def run() -> object:
        with pytest.raises(SystemExit) as exited:
            runpy.run_module("custom_components.asic.client", run_name="__main__")
        return exited.value.code

    assert await asyncio.to_thread(run) == 0
    assert json.loads(capsys.readouterr().out)["mac"] == gamma.mac


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["read"])
    assert exited.value.code == 2
    assert "HOST[:PORT]" in capsys.readouterr().err
