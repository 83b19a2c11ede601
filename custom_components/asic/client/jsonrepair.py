"""Lenient JSON for the replies miner firmwares really send (vendor-protocols.md §2).

``loads`` parses a reply strictly first and, only when that fails, rewrites it token by token:

- NUL bytes anywhere are dropped; bytes are decoded as UTF-8 with replacement;
- a reply that starts with ``,`` instead of ``{`` gets its brace back;
- ``,}`` / ``,]`` (trailing comma), ``[,{`` and doubled commas lose the extra comma;
- ``}{`` between list items and ``"a""b"`` (BTMiner's ``""temp0``) get the missing comma;
- a raw line feed inside a string is removed (it was never part of the value);
- bare ``inf`` / ``nan`` / ``NaN`` / ``Infinity`` become ``null`` (quoted ``"inf"`` strings are
  valid JSON and stay strings: the unit helpers read them as unknown);
- a reply cut off inside a list (long BTMiner error lists) keeps the items that arrived whole
  and is closed; a reply cut anywhere else cannot be read.

Anything else that is not JSON raises :class:`MinerProtocolError`, the only error that leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import re
from typing import Any

from .errors import MinerProtocolError

MAX_DEPTH = 64  # nesting beyond this is no miner's reply

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<open_string>"(?:[^"\\]|\\.)*\\?\Z)
  | (?P<punct>[{}\[\]:,])
  | (?P<word>[^\s{}\[\]:,"]+)
    """,
    re.VERBOSE | re.DOTALL,
)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?\Z")
_NOT_A_NUMBER = frozenset({"nan", "-nan", "inf", "-inf", "+inf", "infinity", "-infinity"})

# Parser states: what the innermost container waits for next.
_KEY, _COLON, _VALUE, _AFTER = "key", "colon", "value", "after"


@dataclass(slots=True)
class _Level:
    kind: str  # "{" or "["
    state: str
    complete_end: int = 0  # lists: output length after the last item known to be whole


@dataclass(slots=True)
class _Repairer:
    out: list[str] = field(default_factory=list)
    size: int = 0
    stack: list[_Level] = field(default_factory=list)
    top_values: int = 0
    top_state: str = _VALUE

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.size += len(text)

    def drop_last_comma(self) -> None:
        if self.out and self.out[-1] == ",":
            self.out.pop()
            self.size -= 1

    def truncate(self, size: int) -> None:
        text = "".join(self.out)[:size]
        self.out = [text]
        self.size = len(text)

    # --- values -------------------------------------------------------------------------

    def before_value(self) -> None:
        """Make room for a value where one may start, inserting a missing comma."""
        if not self.stack:
            if self.top_state == _AFTER:
                self.emit(",")  # a second top-level value: they are wrapped in a list
            return
        level = self.stack[-1]
        if level.kind == "[":
            if level.state == _AFTER:
                level.complete_end = self.size
                self.emit(",")  # "}{" between the items of a list
            return
        if level.state != _VALUE:
            raise ValueError("a value where an object key belongs")

    def after_value(self, *, whole: bool) -> None:
        if not self.stack:
            self.top_values += 1
            self.top_state = _AFTER
            return
        level = self.stack[-1]
        level.state = _AFTER
        if level.kind == "[" and whole:
            level.complete_end = self.size

    def string(self, token: str) -> None:
        token = token.replace("\r", "").replace("\n", "")
        level = self.stack[-1] if self.stack else None
        if level is not None and level.kind == "{" and level.state in (_KEY, _AFTER):
            if level.state == _AFTER:
                self.emit(",")  # '"value""key"': the comma BTMiner left out
            self.emit(token)
            level.state = _COLON
            return
        self.before_value()
        self.emit(token)
        self.after_value(whole=True)

    def word(self, token: str) -> None:
        lowered = token.lower()
        if lowered in ("true", "false", "null"):
            value = lowered
        elif _NUMBER.match(token):
            value = token
        elif lowered in _NOT_A_NUMBER:
            value = "null"
        else:
            raise ValueError(f"unexpected {token[:20]!r}")
        self.before_value()
        self.emit(value)
        self.after_value(whole=False)

    def open(self, kind: str) -> None:
        self.before_value()
        if len(self.stack) >= MAX_DEPTH:
            raise ValueError("nested too deep")
        self.emit(kind)
        self.stack.append(_Level(kind, _KEY if kind == "{" else _VALUE, self.size))

    def close(self, kind: str) -> None:
        if not self.stack or self.stack[-1].kind != kind:
            raise ValueError(f"unbalanced {kind!r}")
        level = self.stack[-1]
        if level.kind == "{" and level.state in (_COLON, _VALUE):
            raise ValueError("a key without a value")
        self.drop_last_comma()  # ",}" and ",]"
        self.stack.pop()
        self.emit("}" if kind == "{" else "]")
        self.after_value(whole=True)

    def comma(self) -> None:
        if not self.stack:
            return  # a stray comma between or before top-level values
        level = self.stack[-1]
        if level.state != _AFTER:
            return  # "[,{", ",,", "{,": nothing to separate
        if level.kind == "[":
            level.complete_end = self.size
            level.state = _VALUE
        else:
            level.state = _KEY
        self.emit(",")

    def colon(self) -> None:
        if not self.stack or self.stack[-1].kind != "{" or self.stack[-1].state != _COLON:
            raise ValueError("a colon out of place")
        self.stack[-1].state = _VALUE
        self.emit(":")

    # --- the end ------------------------------------------------------------------------

    def finish(self) -> tuple[str, bool]:
        cut = bool(self.stack)
        if cut:
            self.close_cut()
        if not self.top_values:
            raise ValueError("no JSON value")
        text = "".join(self.out)
        return (f"[{text}]" if self.top_values > 1 else text), cut

    def close_cut(self) -> None:
        """Keep the whole items of the innermost open list, then close every container."""
        lists = [index for index, level in enumerate(self.stack) if level.kind == "["]
        if not lists:
            raise ValueError("the reply stops inside an object")
        innermost = lists[-1]
        self.truncate(self.stack[innermost].complete_end)
        del self.stack[innermost + 1 :]
        self.drop_last_comma()
        while self.stack:
            self.close(self.stack[-1].kind)


def repair(text: str) -> tuple[str, bool]:
    """``text`` rewritten as valid JSON, and whether it had been cut short (then closed)."""
    text = text.replace("\x00", "").strip()
    if text.startswith(","):
        rest = text[1:].lstrip()
        text = rest if rest[:1] in ("{", "[") else "{" + rest
    repairer = _Repairer()
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # pragma: no cover - every character starts some token
            raise ValueError(f"unreadable at {position}")
        position = match.end()
        kind, piece = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "string":
            repairer.string(piece)
        elif kind == "open_string":
            break  # cut inside a string: whatever came before decides
        elif kind == "word":
            repairer.word(piece)
        elif piece in "{[":
            repairer.open(piece)
        elif piece in "}]":
            repairer.close("{" if piece == "}" else "[")
        elif piece == ",":
            repairer.comma()
        else:
            repairer.colon()
    return repairer.finish()


def _none(_constant: str) -> None:
    return None


def loads(data: bytes | str, *, where: str = "The miner", allow_cut: bool = True) -> Any:
    """Parse a reply, repairing what firmwares get wrong; ``MinerProtocolError`` otherwise.

    ``allow_cut``: accept a reply cut short inside a list, keeping the items that arrived.
    """
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.replace("\x00", "").strip()
    if not text:
        raise MinerProtocolError(f"{where} sent an empty reply")
    try:
        return json.loads(text, parse_constant=_none)
    except (ValueError, RecursionError):
        pass
    try:
        repaired, cut = repair(text)
        value = json.loads(repaired, strict=False, parse_constant=_none)
    except (ValueError, RecursionError) as err:
        raise MinerProtocolError(f"{where} sent a reply that is not JSON: {err}") from err
    if cut and not allow_cut:
        raise MinerProtocolError(f"{where} sent a reply that stops half way")
    return value
