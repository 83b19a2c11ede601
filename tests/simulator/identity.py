"""Deterministic identities (MAC addresses, hostnames) for simulated miners."""

from __future__ import annotations

import hashlib

# Organisationally unique identifiers registered to Espressif, the ESP32's maker.
ESPRESSIF_OUIS: tuple[str, ...] = (
    "24:0A:C4",
    "24:6F:28",
    "30:AE:A4",
    "34:85:18",
    "7C:9E:BD",
    "A4:CF:12",
    "DC:54:75",
    "F4:12:FA",
)


def _digest(seed: str) -> bytes:
    return hashlib.sha256(seed.encode()).digest()


def esp32_mac(seed: str) -> str:
    """A MAC in the form ``AA:BB:CC:DD:EE:FF`` with an Espressif OUI, the same for the same seed."""
    digest = _digest(seed)
    oui = ESPRESSIF_OUIS[digest[0] % len(ESPRESSIF_OUIS)]
    tail = ":".join(f"{byte:02X}" for byte in digest[1:4])
    return f"{oui}:{tail}"


def seeded_mac(prefix: str, seed: str, *, salt: str = "mac") -> str:
    """``prefix`` (whole bytes, e.g. ``02`` or an OUI) then bytes drawn from the seed: the same
    MAC for the same seed, so fleets come back with the same identities."""
    digest = hashlib.sha256(f"{salt}:{seed}".encode()).digest()
    known = prefix.split(":")
    return ":".join([*known, *(f"{byte:02X}" for byte in digest[: 6 - len(known)])])


def normalise_mac(mac: str) -> str:
    """Upper-case, colon-separated; raises ValueError for anything that is not six octets."""
    digits = mac.replace(":", "").replace("-", "").replace(".", "").upper()
    if len(digits) != 12 or any(char not in "0123456789ABCDEF" for char in digits):
        raise ValueError(f"{mac!r} is not a MAC address")
    return ":".join(digits[index : index + 2] for index in range(0, 12, 2))


def hostname_for(prefix: str, mac: str) -> str:
    """``prefix`` plus the last two MAC octets, e.g. ``bitaxe-3f7a``."""
    return f"{prefix}-{mac.replace(':', '')[-4:].lower()}"
