"""Constants of the ASIC Miners integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

from .client import Family
from .client.transport.rpc import DEFAULT_RPC_PORT as CLIENT_DEFAULT_RPC_PORT

DOMAIN: Final = "asic"
LOGGER = logging.getLogger(__package__)

CONF_FAMILY: Final = "family"
CONF_FIRMWARE_FEED: Final = "esp_miner_releases_url"
# The CGMiner-style RPC port of families that use one; stored only when it is not 4028.
CONF_RPC_PORT: Final = "rpc_port"
DEFAULT_RPC_PORT: Final = CLIENT_DEFAULT_RPC_PORT

# Where AxeOS firmware comes from: the ESP-Miner project's releases, in GitHub's API shape.
# Overridable (``asic: esp_miner_releases_url: ...`` in configuration.yaml) for tests and the demo.
DEFAULT_ESP_MINER_RELEASES_URL: Final = "https://api.github.com/repos/bitaxeorg/ESP-Miner/releases"

ATTR_POOLS: Final = "pools"
SERVICE_SET_POOLS: Final = "set_pools"

DEFAULT_SCAN_INTERVAL: Final = timedelta(seconds=15)
SCAN_INTERVALS: Final[dict[Family, timedelta]] = {Family.AXEOS: timedelta(seconds=10)}
MIN_SCAN_INTERVAL: Final = 5
MAX_SCAN_INTERVAL: Final = 300

# Families whose firmware needs a login; the config flow asks for one only for these.
CREDENTIAL_FAMILIES: Final[frozenset[Family]] = frozenset(
    {
        Family.ANTMINER,
        Family.WHATSMINER,
        Family.BRAIINS,
        Family.VNISH,
        Family.EPIC,
        Family.AVALON,
        Family.GOLDSHELL,
        Family.ICERIVER,
        Family.AURADINE,
        Family.INNOSILICON,
        Family.HIVEON,
        Family.MARAFW,
        Family.ELPHAPEX,
        Family.HAMMER,
        Family.VOLCMINER,
    }
)

# Manufacturer by a word in the model name, then by firmware family.
MODEL_MANUFACTURERS: Final[tuple[tuple[str, str], ...]] = (
    ("bitaxe", "Bitaxe"),
    ("nerd", "NerdAxe"),
    ("lucky", "LuckyMiner"),
    ("antminer", "Bitmain"),
    ("whatsminer", "MicroBT"),
    ("avalon", "Canaan"),
)
FAMILY_MANUFACTURERS: Final[dict[Family, str]] = {
    Family.AXEOS: "Bitaxe",
    Family.ANTMINER: "Bitmain",
    Family.WHATSMINER: "MicroBT",
    Family.AVALON: "Canaan",
    Family.EPIC: "ePIC Blockchain",
    Family.GOLDSHELL: "Goldshell",
    Family.ICERIVER: "IceRiver",
    Family.AURADINE: "Auradine",
    Family.INNOSILICON: "Innosilicon",
    Family.ELPHAPEX: "Elphapex",
    Family.VOLCMINER: "VolcMiner",
    Family.HAMMER: "Hammer",
}


def scan_interval_for(family: Family | str) -> timedelta:
    """The default poll interval of a firmware family."""
    return SCAN_INTERVALS.get(Family(family), DEFAULT_SCAN_INTERVAL)


def manufacturer_for(family: Family | str, model: str | None) -> str | None:
    """Best guess at who built the hardware, from the model name or the family."""
    lowered = (model or "").lower()
    for word, maker in MODEL_MANUFACTURERS:
        if word in lowered:
            return maker
    return FAMILY_MANUFACTURERS.get(Family(family))
