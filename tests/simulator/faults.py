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
    # CGMiner-style RPC only (``path`` is a command name): replies real firmwares got wrong.
    BACKEND_DOWN = "backend_down"  # "Socket connect failed: Connection refused\n"
    MULTI_COMMAND_REJECTED = "multi_command_rejected"  # joined commands get "Invalid command"
    TRAILING_COMMA = "trailing_comma"  # ``,}``
    STRAY_NEWLINE = "stray_newline"  # a raw newline inside a string
    MISSING_COMMA = "missing_comma"  # ``}{`` between the objects of a list (BMMiner)
    LIST_LEADING_COMMA = "list_leading_comma"  # ``[,{``
    DOUBLED_QUOTE = "doubled_quote"  # ``""temp0`` (BTMiner 2023-01-06)
    INF_NAN = "inf_nan"  # ``"inf"`` and ``"nan"`` where numbers belong (Avalon)
    LEADING_COMMA = "leading_comma"  # the reply starts with ``,`` instead of ``{``
    CUT_MID_LIST = "cut_mid_list"  # the reply stops inside a list (long BTMiner lists)
    # Whatsminer: the privileged API refuses ("can't access write cmd") as if never unlocked.
    PRIVILEGED_LOCKED = "privileged_locked"


MALFORMED_JSON_FAULTS = (
    Fault.TRAILING_COMMA,
    Fault.STRAY_NEWLINE,
    Fault.MISSING_COMMA,
    Fault.LIST_LEADING_COMMA,
    Fault.DOUBLED_QUOTE,
    Fault.INF_NAN,
    Fault.LEADING_COMMA,
    Fault.CUT_MID_LIST,
)
RPC_FAULTS = frozenset({Fault.BACKEND_DOWN, Fault.MULTI_COMMAND_REJECTED, *MALFORMED_JSON_FAULTS})
TRANSPORT_FAULTS = frozenset(
    {
        Fault.RESET,
        Fault.HANG,
        Fault.SLOW,
        Fault.HTTP_500,
        Fault.TRUNCATED,
        Fault.BAD_JSON,
        *RPC_FAULTS,
    }
)
FIRMWARE_FAULTS = frozenset(
    {Fault.FIRMWARE_REJECTED, Fault.NEVER_RETURNS, Fault.WRONG_VERSION_AFTER_OTA}
)
DEFAULT_SLOW_DELAY = 5.0


@dataclass(frozen=True, slots=True)
class ActiveFault:
    """One fault as set on a miner."""

    fault: Fault
    path: str | None = None  # only requests to this path (RPC: this command) are affected
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
