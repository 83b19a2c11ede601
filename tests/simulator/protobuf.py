"""Just enough of the protobuf wire format for the simulator's gRPC replies and requests.

A message is written from a JSON-shaped dict (the field names of the ``.proto``, as the REST
API of the same firmware spells them) and a schema that gives each name its field number and
wire kind. Reading goes the other way only as far as raw fields: number → list of values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
import struct
from typing import Any

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
UINT64_MASK = (1 << 64) - 1


class Kind(Enum):
    UINT = "uint"  # uint32/uint64 and enums
    INT = "int"  # int32/int64: negative values as 64-bit two's complement
    BOOL = "bool"
    STRING = "string"
    BYTES = "bytes"
    DOUBLE = "double"
    MESSAGE = "message"
    UINT_VALUE = "uint_value"  # google.protobuf.UInt32Value, written in JSON as a bare number
    ONEOF = "oneof"  # {"case": {...}}: the case's fields belong to the enclosing message


@dataclass(frozen=True, slots=True)
class Field:
    number: int
    kind: Kind
    schema: Mapping[str, Field] = field(default_factory=dict)  # MESSAGE and ONEOF


Schema = Mapping[str, Field]


def message(number: int, schema: Schema) -> Field:
    return Field(number, Kind.MESSAGE, schema)


def varint(value: int) -> bytes:
    value &= UINT64_MASK
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _key(number, LENGTH) + varint(len(payload)) + payload


def _scalar(spec: Field, value: Any) -> bytes:
    number, kind = spec.number, spec.kind
    if kind in (Kind.UINT, Kind.INT, Kind.BOOL):
        return _key(number, VARINT) + varint(int(value))
    if kind is Kind.DOUBLE:
        return _key(number, FIXED64) + struct.pack("<d", float(value))
    if kind is Kind.STRING:
        return _length_delimited(number, str(value).encode())
    if kind is Kind.BYTES:
        return _length_delimited(number, bytes(value))
    if kind is Kind.UINT_VALUE:
        return _length_delimited(number, _key(1, VARINT) + varint(int(value)))
    return _length_delimited(number, encode(value, spec.schema))  # a MESSAGE


def encode(values: Mapping[str, Any], schema: Schema) -> bytes:
    """The wire bytes of ``values``; None is left out, a list is a repeated field."""
    out = bytearray()
    for name, value in values.items():
        spec = schema.get(name)
        if spec is None:
            raise ValueError(f"no field {name!r} in this message")
        if value is None:
            continue
        if spec.kind is Kind.ONEOF:
            out += encode(value, spec.schema)
        elif isinstance(value, list):
            for item in value:
                out += _scalar(spec, item)
        else:
            out += _scalar(spec, value)
    return bytes(out)


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if offset >= len(data) or shift > 63:
            raise ValueError("truncated or overlong varint")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, offset


def decode(data: bytes) -> dict[int, list[int | bytes]]:
    """The raw fields of a message: varints as ints, everything else as bytes."""
    fields: dict[int, list[int | bytes]] = {}
    offset = 0
    while offset < len(data):
        key, offset = _read_varint(data, offset)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == VARINT:
            value, offset = _read_varint(data, offset)
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            value, offset = data[offset : offset + size], offset + size
        elif wire == LENGTH:
            size, offset = _read_varint(data, offset)
            value, offset = data[offset : offset + size], offset + size
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if offset > len(data) or number == 0:
            raise ValueError("truncated message")
        fields.setdefault(number, []).append(value)
    return fields


def last_int(fields: Mapping[int, list[int | bytes]], number: int) -> int | None:
    """A varint field's value (the last one wins, as in protobuf), or None when absent."""
    values = [value for value in fields.get(number, []) if isinstance(value, int)]
    return values[-1] if values else None


def last_message(fields: Mapping[int, list[int | bytes]], number: int) -> bytes | None:
    values = [value for value in fields.get(number, []) if isinstance(value, bytes)]
    return values[-1] if values else None


def as_double(raw: bytes) -> float:
    value: float = struct.unpack("<d", raw)[0]
    return value
