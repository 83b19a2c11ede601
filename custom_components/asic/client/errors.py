"""The one exception tree of the client: nothing else leaves it."""

from __future__ import annotations


class MinerError(Exception):
    """Base of every error the client raises."""


class MinerConnectionError(MinerError):
    """The miner could not be reached, or did not answer in time."""


class MinerAuthError(MinerError):
    """The miner refused our credentials."""


class MinerProtocolError(MinerError):
    """The miner answered something we cannot read."""


class MinerCommandError(MinerError):
    """The miner understood the request and refused it."""

    def __init__(self, message: str, *, code: int | str | None = None) -> None:
        super().__init__(message)
        self.code = code


class MinerUnsupportedError(MinerError):
    """The operation does not exist on this miner or this firmware."""


class MinerFirmwareError(MinerError):
    """A firmware file is unfit for the miner, or the miner did not take it."""


class MinerLockedError(MinerAuthError):
    """The firmware refuses every write until its default password is changed (Whatsminer)."""
