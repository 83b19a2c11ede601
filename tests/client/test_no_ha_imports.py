"""The client is a library of its own: it never imports Home Assistant or the integration."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path
import sys

from tests.simulator import SimulatedMiner

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "custom_components" / "asic" / "client"
CLIENT_PACKAGE = "custom_components.asic.client"


def imported_modules(path: Path, root: Path = REPO) -> list[str]:
    """Absolute names of every module ``path`` imports, relative imports resolved."""
    package = list(path.relative_to(root).parent.parts)
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            names.append(".".join([*base, *([node.module] if node.module else [])]))
    return names


def forbidden(names: list[str]) -> list[str]:
    """Imports of Home Assistant, or of the integration outside the client."""
    return [
        name
        for name in names
        if name.split(".")[0] == "homeassistant"
        or (name.startswith("custom_components") and not name.startswith(CLIENT_PACKAGE))
    ]


def test_client_sources_import_no_home_assistant() -> None:
    sources = sorted(CLIENT.rglob("*.py"))
    assert len(sources) >= 8
    for path in sources:
        assert forbidden(imported_modules(path)) == [], path


def test_the_check_resolves_relative_imports() -> None:
    names = imported_modules(CLIENT / "families" / "axeos.py")
    assert f"{CLIENT_PACKAGE}.errors" in names
    assert f"{CLIENT_PACKAGE}.transport.http" in names
    assert f"{CLIENT_PACKAGE}" in imported_modules(CLIENT / "__main__.py")


def test_the_check_catches_offenders(tmp_path: Path) -> None:
    module = tmp_path / "custom_components" / "asic" / "client" / "families" / "bad.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "import homeassistant.core\n"
        "from homeassistant.const import CONF_HOST\n"
        "from ...const import DOMAIN\n"
        "from ..units import as_float\n"
        "import aiohttp\n"
    )
    assert forbidden(imported_modules(module, tmp_path)) == [
        "homeassistant.core",
        "homeassistant.const",
        "custom_components.asic.const",
    ]


# Load the client as a package of its own, without the integration's __init__ (which imports
# Home Assistant), with Home Assistant made unimportable, and read a miner with it.
STANDALONE = """
import asyncio, importlib.util, json, sys
sys.modules["homeassistant"] = None
spec = importlib.util.spec_from_file_location(
    "asic_client", sys.argv[1] + "/__init__.py", submodule_search_locations=[sys.argv[1]]
)
client = importlib.util.module_from_spec(spec)
sys.modules["asic_client"] = client
spec.loader.exec_module(client)
import aiohttp

async def main():
    async with aiohttp.ClientSession() as session:
        miner = await client.connect("127.0.0.1", session, port=int(sys.argv[2]), timeout=5)
        data = await miner.read()
    loaded = sorted(name for name in sys.modules if name.startswith(("homeassistant", "custom_")))
    print(json.dumps({"mac": data.mac, "model": data.model, "loaded": loaded}))

asyncio.run(main())
"""


async def test_client_reads_a_miner_where_home_assistant_cannot_be_imported(
    gamma: SimulatedMiner,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        STANDALONE,
        str(CLIENT),
        str(gamma.port),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    result = json.loads(stdout)
    assert result == {"mac": gamma.mac, "model": "Bitaxe Gamma", "loaded": ["homeassistant"]}
