"""Faults a simulated miner can be told to show, at the socket and HTTP level."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    """What goes wrong. Transport faults apply to every request (or to one ``path``)."""

    OFFLINE = "offline"  # nothing listens: connection refused
    RESET = "reset"  # accepts, then closes the connection without a reply
    HANG = "hang"  # accepts and reads the request, never answers
    SLOW = "slow"  # answers after ``delay`` seconds
    HTTP_500 = "http_500"  # answers 500 Internal Server Error
    TRUNCATED = "truncated"  # announces the whole body, sends part of it, closes
    BAD_JSON = "bad_json"  # 200 with a body that is not valid JSON
    FIRMWARE_REJECTED = "firmware_rejected"  # a firmware upload is refused after reading it
    NEVER_RETURNS = "never_returns"  # after a firmware update the miner stays offline
    WRONG_VERSION_AFTER_OTA = "wrong_version_after_ota"  # comes back with the old version


TRANSPORT_FAULTS = frozenset(
    {Fault.RESET, Fault.HANG, Fault.SLOW, Fault.HTTP_500, Fault.TRUNCATED, Fault.BAD_JSON}
)
FIRMWARE_FAULTS = frozenset(
    {Fault.FIRMWARE_REJECTED, Fault.NEVER_RETURNS, Fault.WRONG_VERSION_AFTER_OTA}
)
DEFAULT_SLOW_DELAY = 5.0


@dataclass(frozen=True, slots=True)
class ActiveFault:
    """One fault as set on a miner."""

    fault: Fault
    path: str | None = None  # only requests to this path are affected
    delay: float = DEFAULT_SLOW_DELAY  # for SLOW

    def applies_to(self, path: str) -> bool:
        return self.path is None or self.path == path

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {"fault": self.fault.value}
        if self.path is not None:
            shown["path"] = self.path
        if self.fault is Fault.SLOW:
            shown["delay"] = self.delay
        return shown
