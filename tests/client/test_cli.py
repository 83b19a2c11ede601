"""``python -m custom_components.asic.client``: identify, read, scan and control."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import runpy
import sys
from typing import Any

import pytest

from custom_components.asic.client.__main__ import main
from tests.loopback import allow_loopback, require_root
from tests.simulator import MinerSpec, SimulatedMiner, Simulator
from tests.simulator.fleet import demo_fleet

from .conftest import served_state

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


# --- control ---------------------------------------------------------------------------------


async def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[Any], str]:
    """main() in a thread; its output as a list of JSON lines."""
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def blinking(miner: Any) -> bool:
    """The simulated Antminer's fault light (read through a call: it changes under mypy)."""
    return bool(miner.blinking)


def on_rpc(miner: SimulatedMiner) -> list[str]:
    return [address(miner), "--rpc-port", str(miner.ports["rpc"])]


async def test_control_axeos_pause_resume_and_reboot(
    gamma: SimulatedMiner, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown, err = await run_main(capsys, "control", address(gamma), "mining-off")
    assert (code, err) == (0, "")
    assert shown == [
        {"host": gamma.host, "family": "axeos", "action": "mining-off", "value": None, "done": True}
    ]
    assert served_state(gamma).paused is True
    code, _, _ = await run_main(capsys, "control", address(gamma), "mining-on", "--family", "axeos")
    assert code == 0
    assert served_state(gamma).paused is False
    code, _, _ = await run_main(capsys, "control", address(gamma), "restart")
    assert code == 3  # AxeOS restarts the whole board: that is reboot
    code, _, _ = await run_main(capsys, "control", address(gamma), "reboot")
    assert code == 0
    await gamma.wait_until_down()


async def test_control_stock_antminer(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    miner: Any = await simulator.start(MinerSpec(family="antminer", model="Antminer S21"))
    pools = list(miner.conf["pools"])
    assert (await run_main(capsys, "control", *on_rpc(miner), "mode", "low"))[0] == 0
    assert miner.work_mode == 3
    assert (await run_main(capsys, "control", *on_rpc(miner), "mining-off"))[0] == 0
    assert miner.work_mode == 1
    assert miner.conf["pools"] == pools
    assert (await run_main(capsys, "control", *on_rpc(miner), "light-on"))[0] == 0
    assert blinking(miner) is True
    assert (await run_main(capsys, "control", *on_rpc(miner), "light-off"))[0] == 0
    assert blinking(miner) is False
    new_pools = '[{"url": "stratum+tcp://pool.example:3333", "user": "me.1", "password": "p1"}]'
    code, shown, _ = await run_main(capsys, "control", *on_rpc(miner), "pools", new_pools)
    assert (code, shown[0]["value"]) == (0, 1)
    assert miner.conf["pools"][0] == {
        "url": "stratum+tcp://pool.example:3333",
        "user": "me.1",
        "pass": "p1",
    }
    assert miner.work_mode == 1  # still asleep: the pools were written into the rest


async def test_control_luxos_power_limit_and_mode(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    miner: Any = await simulator.start(MinerSpec(family="luxos", model="Antminer S19k Pro"))
    table = miner.profile_table
    code, shown, _ = await run_main(
        capsys, "control", *on_rpc(miner), "power-limit", str(table[5].watts + 1)
    )
    assert code == 0
    assert shown[0]["value"] == table[5].watts + 1
    assert miner.profile == table[5]
    assert (await run_main(capsys, "control", *on_rpc(miner), "mode", "440MHz"))[0] == 0
    assert miner.profile.name == "440MHz"
    assert (await run_main(capsys, "control", *on_rpc(miner), "mining-off"))[0] == 0
    assert miner.curtailed is True
    code, shown, err = await run_main(capsys, "control", *on_rpc(miner), "mode", "turbo")
    assert (code, shown) == (5, [])
    assert err.startswith("error: ")
    assert "Unknown power mode" in err


async def test_control_whatsminer_with_the_password_from_the_environment(
    simulator: Simulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    miner: Any = await simulator.start(
        MinerSpec(family="whatsminer", model="M30S", password="hunter22")
    )
    monkeypatch.setenv("ASIC_PASSWORD", "hunter22")
    assert (await run_main(capsys, "control", *on_rpc(miner), "power-limit", "3000"))[0] == 0
    assert miner.wm_physics.power_limit == 3000
    assert (await run_main(capsys, "control", *on_rpc(miner), "light-on"))[0] == 0
    assert miner.led != "auto"
    assert (await run_main(capsys, "control", *on_rpc(miner), "mining-off"))[0] == 0
    assert miner.wm_physics.mining is False
    pools = json.dumps([{"url": "stratum+tcp://a.example:3333", "user": "w.1"}] * 2)
    assert (await run_main(capsys, "control", *on_rpc(miner), "pools", pools))[0] == 0
    assert [pool["url"] for pool in miner.pools] == ["stratum+tcp://a.example:3333"] * 2 + [""]


async def test_wrong_password_exits_4_without_showing_it(
    simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    miner: Any = await simulator.start(MinerSpec(family="antminer", model="Antminer S21"))
    secret = "not-the-password-42"
    code, shown, err = await run_main(
        capsys, "control", *on_rpc(miner), "light-on", "--password", secret
    )
    assert (code, shown) == (4, [])
    assert err.startswith("error: ")
    assert "refused access" in err
    assert secret not in err
    assert miner.blinking is False


async def test_unsupported_action_exits_3(
    gamma: SimulatedMiner, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown, err = await run_main(capsys, "control", address(gamma), "power-limit", "15")
    assert (code, shown) == (3, [])
    assert err == "error: axeos miners take no power limit\n"


async def test_control_of_an_unreachable_host_exits_1(
    closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown, err = await run_main(
        capsys, "--timeout", "1", "control", f"127.0.0.1:{closed_port}", "reboot"
    )
    assert (code, shown) == (1, [])
    assert err.startswith("error: Cannot reach 127.0.0.1")


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (["power-limit"], "power-limit needs a value"),
        (["power-limit", "lots"], "power-limit takes watts, not 'lots'"),
        (["power-limit", "-5"], "positive number of watts"),
        (["reboot", "now"], "reboot takes no value"),
        (["pools", "{"], "pools must be JSON"),
        (["pools", "[]"], "a JSON list of one to three"),
        (["pools", '[{"user": "x"}]'], "each pool needs a url"),
    ],
)
async def test_control_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], action: list[str], message: str
) -> None:
    # Checked before any connection: nothing listens at this address.
    code, shown, err = await run_main(capsys, "control", "127.0.0.1:9", *action)
    assert (code, shown) == (2, [])
    assert message in err


# --- scan ------------------------------------------------------------------------------------


async def test_scan_hosts_prints_a_line_per_miner_and_a_summary(
    gamma: SimulatedMiner, plain_web_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    web = f"127.0.0.1:{plain_web_server}"
    code, shown, err = await run_main(capsys, "scan", address(gamma), web, "--host-timeout", "3")
    assert code == 0
    assert shown[0]["mac"] == gamma.mac
    assert shown[0]["family"] == "axeos"
    assert shown[1] == {
        "summary": {
            "scanned": 2,
            "miners": 1,
            "not_miners": [
                {
                    "host": "127.0.0.1",
                    "port": plain_web_server,
                    "reason": f"127.0.0.1 answers on port {plain_web_server} but is not a "
                    "miner this integration knows",
                }
            ],
        }
    }
    assert err == "\rscanned 0/2\rscanned 1/2\rscanned 2/2\n"


async def test_scan_the_demo_fleet(capsys: pytest.CaptureFixture[str]) -> None:
    require_root()
    allow_loopback("127.0.0.0/22")
    async with Simulator(real_ports=True, reboot_seconds=0.2) as sim:
        fleet = await sim.start_fleet(demo_fleet())
        network = "127.0.0.0/24" if fleet[-1].host.startswith("127.0.0.") else "127.0.0.0/22"
        code, shown, err = await run_main(capsys, "scan", network)
    assert code == 0
    summary = shown[-1]["summary"]
    assert summary["miners"] == len(shown) - 1
    found = {line["host"]: line for line in shown[:-1]}
    for miner in fleet:
        if miner.spec.family in {"axeos", "antminer", "whatsminer", "braiins", "avalon", "luxos"}:
            assert (found[miner.host]["family"], found[miner.host]["mac"]) == (
                miner.spec.family,
                miner.mac,
            )
    assert err.endswith(f"scanned {summary['scanned']}/{summary['scanned']}\n")


async def test_scan_refuses_what_is_no_network(capsys: pytest.CaptureFixture[str]) -> None:
    code, shown, err = await run_main(capsys, "scan", "10.0.0.0/8")
    assert (code, shown) == (2, [])
    assert "more than 65534 hosts" in err
