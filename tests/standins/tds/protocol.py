"""A small TDS 7.4 server that stands in for SQL Server in tests.

It speaks just enough of the protocol for pyodbc + FreeTDS: PRELOGIN (encryption not
supported), LOGIN7 with SQL authentication, SQL batches, the RPCs a driver uses for
parameterised queries (sp_executesql, sp_prepexec, sp_execute, sp_unprepare), attention
(cancel) and transaction-manager requests. What a statement returns is decided by a
``responder`` callable (see ``scenarios.py``); this module only enforces the one rule the
probe promises: every statement must be a single read-only SELECT, anything else gets a
SQL error; and every SELECT is checked against Microsoft's documented schema for the server's
version (``tests/conformance/schema.py``): an unknown object gets Msg 208, an unknown column
Msg 207, as from a real server. Every statement is recorded in :attr:`TdsServer.received`.

Wire facts worth knowing (MS-TDS): packet headers are big-endian, token payloads
little-endian; LOGIN7 strings are UTF-16LE at offsets from the start of the record; the
password is obfuscated (nibbles swapped, then XOR 0xA5).
"""

from __future__ import annotations

import re
import socket
import socketserver
import struct
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlglot
from sqlglot import exp

from tests.conformance import schema

# Packet types.
PT_BATCH, PT_RPC, PT_REPLY, PT_ATTENTION, PT_TRANSACTION, PT_LOGIN7, PT_PRELOGIN = (
    0x01, 0x03, 0x04, 0x06, 0x0E, 0x10, 0x12,
)
# DONE status bits.
DONE_FINAL, DONE_MORE, DONE_ERROR, DONE_COUNT, DONE_ATTN = 0x00, 0x01, 0x02, 0x10, 0x20
# SQL_Latin1_General_CP1_CI_AS as the 5-byte TDS collation.
COLLATION = b"\x09\x04\xd0\x00\x34"
PACKET_SIZE = 4096
RPC_NAMES = {10: "sp_executesql", 11: "sp_prepare", 12: "sp_execute", 13: "sp_prepexec", 15: "sp_unprepare"}


# --------------------------------------------------------------------------- data model


@dataclass(frozen=True)
class Column:
    """A result column. ``type`` is a T-SQL type name: int, bigint, smallint, tinyint, bit,
    char(n), nvarchar(n), nvarchar(max), varbinary(n), varbinary(max), datetime2, datetime, uniqueidentifier."""

    name: str
    type: str


@dataclass(frozen=True)
class ResultSet:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...] = ()


@dataclass(frozen=True)
class SqlError:
    """What SQL Server would answer instead of rows (permission denied, invalid object…)."""

    number: int
    message: str
    severity: int = 16
    state: int = 1


Responder = Callable[[str], ResultSet | SqlError]


@dataclass(frozen=True)
class Received:
    """One request as the server saw it. ``sql`` is empty for RPCs that carry no statement."""

    kind: str  # "batch" or "rpc:<procedure>"
    sql: str
    accepted: bool
    params: tuple[Any, ...] = ()


#: Read-only statements that are not SELECTs, accepted exactly as written (the probe reads the global
#: trace flags with this one; nothing else that is not a SELECT gets through).
READ_ONLY_COMMANDS = frozenset({"DBCC TRACESTATUS(-1)"})
LEADING_COMMENT = re.compile(r"^\s*(/\*.*?\*/\s*)*", re.DOTALL)


def bare(sql: str) -> str:
    """The statement without its leading /* tag */ comments, surrounding blanks or a final ';'."""
    return LEADING_COMMENT.sub("", sql).strip().rstrip(";").strip()


def rejection_reason(sql: str) -> str | None:
    """Why ``sql`` is not a single read-only SELECT (or exactly one of READ_ONLY_COMMANDS), or None."""
    if bare(sql) in READ_ONLY_COMMANDS:
        return None
    try:
        statements = [s for s in sqlglot.parse(sql, read="tsql") if s is not None]
    except sqlglot.errors.ParseError as exc:
        return f"cannot parse: {exc}"
    if len(statements) != 1:
        return f"{len(statements)} statements in one request"
    stmt = statements[0]
    if not isinstance(stmt, exp.Select):
        return f"{type(stmt).__name__.upper()} is not a SELECT"
    writes = stmt.find(exp.Into, exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Command, exp.Create,
                       exp.Drop, exp.Alter)
    if writes is not None:
        return f"SELECT contains {type(writes).__name__.upper()}"
    return None


# --------------------------------------------------------------------------- encoding


def _ucs2(text: str) -> bytes:
    return text.encode("utf-16-le")


def _b_varchar(text: str) -> bytes:
    return bytes([len(text)]) + _ucs2(text)


def _us_varchar(text: str) -> bytes:
    return struct.pack("<H", len(text)) + _ucs2(text)


def _token(token: int, payload: bytes) -> bytes:
    """A token with a 2-byte length prefix (ENVCHANGE, INFO, ERROR, LOGINACK)."""
    return bytes([token]) + struct.pack("<H", len(payload)) + payload


def done(status: int = DONE_FINAL, rows: int = 0, token: int = 0xFD, cmd: int = 0xC1) -> bytes:
    return bytes([token]) + struct.pack("<HHQ", status, cmd, rows)


def message(number: int, text: str, severity: int, state: int = 1, server: str = "", error: bool = True) -> bytes:
    payload = struct.pack("<iBB", number, state, severity) + _us_varchar(text)
    payload += _b_varchar(server) + _b_varchar("") + struct.pack("<i", 1)
    return _token(0xAA if error else 0xAB, payload)


def envchange(kind: int, new: str, old: str = "") -> bytes:
    return _token(0xE3, bytes([kind]) + _b_varchar(new) + _b_varchar(old))


_INT_SIZES = {"tinyint": 1, "smallint": 2, "int": 4, "bigint": 8}


def _type_info(sql_type: str) -> bytes:
    base, _, arg = sql_type.lower().partition("(")
    arg = arg.rstrip(")")
    if base in _INT_SIZES:
        return bytes([0x26, _INT_SIZES[base]])
    if base == "bit":
        return b"\x68\x01"
    if base == "datetime2":
        return b"\x2a\x07"
    if base == "datetime":
        return b"\x6f\x08"
    if base == "uniqueidentifier":
        return b"\x24\x10"
    if base == "char":  # BIGCHARTYPE: sys.certificates.pvt_key_encryption_type, sys.filegroups.type
        return b"\xaf" + struct.pack("<H", int(arg or 1)) + COLLATION
    if base in ("nvarchar", "varbinary"):
        max_bytes = 0xFFFF if arg == "max" else int(arg or 1) * (2 if base == "nvarchar" else 1)
        head = bytes([0xE7 if base == "nvarchar" else 0xA5]) + struct.pack("<H", max_bytes)
        return head + (COLLATION if base == "nvarchar" else b"")
    raise ValueError(f"stand-in cannot send type {sql_type!r}")


def _value(sql_type: str, value: Any) -> bytes:
    base, _, arg = sql_type.lower().partition("(")
    if base in _INT_SIZES:
        size = _INT_SIZES[base]
        if value is None:
            return b"\x00"
        fmt = {1: "<B", 2: "<h", 4: "<i", 8: "<q"}[size]
        return bytes([size]) + struct.pack(fmt, int(value))
    if base == "bit":
        return b"\x00" if value is None else b"\x01" + bytes([1 if value else 0])
    if base == "datetime2":
        if value is None:
            return b"\x00"
        dt = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
        ticks = ((dt.hour * 60 + dt.minute) * 60 + dt.second) * 10_000_000 + dt.microsecond * 10
        days = (dt.date() - date(1, 1, 1)).days
        return b"\x08" + ticks.to_bytes(5, "little") + days.to_bytes(3, "little")
    if base == "datetime":
        if value is None:
            return b"\x00"
        days = (value.date() - date(1900, 1, 1)).days
        seconds = (value.hour * 60 + value.minute) * 60 + value.second + value.microsecond / 1e6
        return b"\x08" + struct.pack("<iI", days, round(seconds * 300))
    if base == "uniqueidentifier":
        return b"\x00" if value is None else b"\x10" + uuid.UUID(str(value)).bytes_le
    if base == "char":  # fixed length, blank-padded, single-byte collation
        return b"\xff\xff" if value is None else struct.pack("<H", int(arg.rstrip(")") or 1)) + str(
            value).ljust(int(arg.rstrip(")") or 1)).encode("latin-1")
    data = None if value is None else (_ucs2(value) if base == "nvarchar" else bytes(value))
    if arg.rstrip(")") == "max":  # PLP: total length, chunks, zero terminator
        if data is None:
            return b"\xff" * 8
        chunk = struct.pack("<I", len(data)) + data if data else b""
        return struct.pack("<Q", len(data)) + chunk + b"\x00\x00\x00\x00"
    return b"\xff\xff" if data is None else struct.pack("<H", len(data)) + data


def result_set(rs: ResultSet, done_token: int = 0xFD, more: bool = False) -> bytes:
    out = bytearray(b"\x81" + struct.pack("<H", len(rs.columns)))
    for col in rs.columns:
        out += struct.pack("<IH", 0, 0x0001) + _type_info(col.type) + _b_varchar(col.name)
    for row in rs.rows:
        if len(row) != len(rs.columns):
            raise ValueError(f"row {row!r} does not match columns {rs.columns!r}")
        out += b"\xd1" + b"".join(_value(c.type, v) for c, v in zip(rs.columns, row, strict=True))
    status = DONE_COUNT | (DONE_MORE if more else DONE_FINAL)
    return bytes(out) + done(status, len(rs.rows), token=done_token)


# --------------------------------------------------------------------------- decoding


def _prelogin_reply(version: tuple[int, int, int]) -> bytes:
    options = [
        (0x00, bytes(version[:2]) + struct.pack(">H", version[2]) + b"\x00\x00"),  # VERSION
        (0x01, b"\x02"),  # ENCRYPTION: ENCRYPT_NOT_SUP
        (0x02, b"\x00"),  # INSTOPT
        (0x03, b""),  # THREADID
        (0x04, b"\x00"),  # MARS off
    ]
    offset = len(options) * 5 + 1
    head, body = bytearray(), bytearray()
    for token, data in options:
        head += struct.pack(">BHH", token, offset + len(body), len(data))
        body += data
    return bytes(head) + b"\xff" + bytes(body)


def _login7_fields(record: bytes) -> dict[str, str]:
    def field_at(pos: int, password: bool = False) -> str:
        offset, chars = struct.unpack_from("<HH", record, pos)
        raw = record[offset: offset + chars * 2]
        if password:  # undo the obfuscation: XOR 0xA5, then swap nibbles
            raw = bytes((((b ^ 0xA5) << 4) & 0xF0) | ((b ^ 0xA5) >> 4) for b in raw)
        return raw.decode("utf-16-le")

    return {"user": field_at(40), "password": field_at(44, True), "app": field_at(48),
            "database": field_at(68)}


def _skip_all_headers(payload: bytes) -> int:
    """Offset after ALL_HEADERS (TDS 7.2+ batches and RPCs start with it)."""
    return struct.unpack_from("<I", payload, 0)[0] if len(payload) >= 4 else 0


class _Reader:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos: self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int(struct.unpack("<H", self.take(2))[0])

    def param_value(self) -> Any:
        """One RPC parameter: TYPE_INFO then value (the types drivers send for parameters)."""
        xtype = self.u8()
        if xtype in (0x26, 0x68, 0x6D):  # INTN, BITN, FLTN
            self.u8()
            size = self.u8()
            raw = self.take(size)
            if size == 0:
                return None
            if xtype == 0x6D:
                return struct.unpack("<d" if size == 8 else "<f", raw)[0]
            return int.from_bytes(raw, "little", signed=True)
        if xtype in (0xE7, 0xEF, 0xA7, 0xAF, 0xA5, 0xAD):  # (N)VARCHAR, (N)CHAR, VARBINARY, BINARY
            max_len = self.u16()
            if xtype not in (0xA5, 0xAD):
                self.take(5)  # collation
            if max_len == 0xFFFF:  # PLP
                total = struct.unpack("<Q", self.take(8))[0]
                if total == 0xFFFFFFFFFFFFFFFF:
                    return None
                raw = b""
                while (size := struct.unpack("<I", self.take(4))[0]) != 0:
                    raw += self.take(size)
            else:
                size = self.u16()
                if size == 0xFFFF:
                    return None
                raw = self.take(size)
            if xtype in (0xE7, 0xEF):
                return raw.decode("utf-16-le")
            return raw.decode("latin-1") if xtype in (0xA7, 0xAF) else raw
        if xtype in (0x63, 0x23):  # NTEXT, TEXT: maxlen and collation, then a 4-byte length
            self.take(4 + 5)
            size = struct.unpack("<I", self.take(4))[0]
            if size == 0xFFFFFFFF:
                return None
            return self.take(size).decode("utf-16-le" if xtype == 0x63 else "latin-1")
        raise ValueError(f"stand-in cannot read RPC parameter type 0x{xtype:02x}")


def parse_rpc(payload: bytes) -> tuple[str, list[Any]]:
    """(procedure name, parameter values) of an RPC request."""
    r = _Reader(payload, _skip_all_headers(payload))
    name_len = r.u16()
    name = RPC_NAMES.get(r.u16(), "?") if name_len == 0xFFFF else r.take(name_len * 2).decode("utf-16-le")
    r.u16()  # option flags
    values: list[Any] = []
    while r.pos < len(payload) and payload[r.pos] not in (0x80, 0xFF):  # batch separators
        r.take(r.u8() * 2)  # parameter name
        r.u8()  # status flags
        values.append(r.param_value())
    return name, values


# --------------------------------------------------------------------------- server


@dataclass
class ServerState:
    """What the tests configure and observe; shared by every connection of one server."""

    responder: Responder
    login: str
    password: str
    hang_after: int | None = None
    server_name: str = "SQLSTANDIN"
    version: tuple[int, int, int] = (15, 0, 4322)
    #: Judge each SELECT against the documented schema (off only for wire-protocol tests over made-up tables).
    schema: bool = True
    received: list[Received] = field(default_factory=list)
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Connection(socketserver.BaseRequestHandler):
    state: ServerState  # set on the subclass the server creates

    def setup(self) -> None:
        self.sock: socket.socket = self.request
        self.prepared: dict[int, str] = {}

    # -- framing ---------------------------------------------------------
    def _recv_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("client closed")
            buf += chunk
        return buf

    def read_message(self) -> tuple[int, bytes]:
        payload, ptype = b"", 0
        while True:
            header = self._recv_exact(8)
            ptype, status, length = header[0], header[1], struct.unpack(">H", header[2:4])[0]
            payload += self._recv_exact(length - 8)
            if status & 0x01:  # end of message
                return ptype, payload

    def send(self, data: bytes, ptype: int = PT_REPLY) -> None:
        chunk_size = PACKET_SIZE - 8
        chunks = [data[i: i + chunk_size] for i in range(0, len(data), chunk_size)] or [b""]
        for number, chunk in enumerate(chunks, start=1):
            status = 0x01 if number == len(chunks) else 0x00
            header = struct.pack(">BBHHBB", ptype, status, len(chunk) + 8, 0, number % 256, 0)
            self.sock.sendall(header + chunk)

    # -- session ---------------------------------------------------------
    def handle(self) -> None:
        try:
            if not self.login():
                return
            while True:
                ptype, payload = self.read_message()
                if ptype == PT_ATTENTION:
                    self.send(done(DONE_ATTN))
                elif ptype == PT_BATCH:
                    sql = payload[_skip_all_headers(payload):].decode("utf-16-le")
                    self.statement("batch", sql, ())
                elif ptype == PT_RPC:
                    self.rpc(payload)
                elif ptype == PT_TRANSACTION:
                    self.transaction(payload)
                else:
                    self.send(message(50000, f"stand-in: unsupported packet type 0x{ptype:02x}", 16)
                              + done(DONE_ERROR))
        except (ConnectionError, OSError):
            return

    def login(self) -> bool:
        st = self.state
        ptype, _ = self.read_message()
        if ptype != PT_PRELOGIN:
            return False
        self.send(_prelogin_reply(st.version))
        ptype, record = self.read_message()
        if ptype != PT_LOGIN7:
            return False
        fields = _login7_fields(record)
        if fields["user"] != st.login or fields["password"] != st.password:
            text = f"Login failed for user '{fields['user']}'."
            self.send(message(18456, text, 14, server=st.server_name) + done(DONE_ERROR))
            return False
        major, minor, build = st.version
        ack = b"\x01" + b"\x74\x00\x00\x04" + _b_varchar("Microsoft SQL Server")
        ack += bytes([major, minor, build >> 8, build & 0xFF])
        reply = envchange(1, "master", "master")
        reply += _token(0xE3, b"\x07" + bytes([len(COLLATION)]) + COLLATION + b"\x00")
        reply += envchange(2, "us_english")
        reply += message(5701, "Changed database context to 'master'.", 0, 2, st.server_name, error=False)
        reply += _token(0xAD, ack) + envchange(4, str(PACKET_SIZE), str(PACKET_SIZE)) + done()
        self.send(reply)
        return True

    def rpc(self, payload: bytes) -> None:
        name, values = parse_rpc(payload)
        proc = name.lower().removeprefix("sys.")
        if proc == "sp_executesql":
            self.statement("rpc:sp_executesql", str(values[0]), tuple(values[2:]), rpc=True)
        elif proc == "sp_prepexec":
            handle = len(self.prepared) + 1
            self.prepared[handle] = str(values[2])
            self.statement("rpc:sp_prepexec", str(values[2]), tuple(values[3:]), rpc=True, handle=handle)
        elif proc == "sp_execute" and values and values[0] in self.prepared:
            self.statement("rpc:sp_execute", self.prepared[values[0]], tuple(values[1:]), rpc=True)
        elif proc == "sp_unprepare":
            self.prepared.pop(values[0] if values else 0, None)
            self.record(Received("rpc:sp_unprepare", "", True))
            self.send(b"\x79" + struct.pack("<i", 0) + done(token=0xFE, cmd=0xE0))
        else:
            self.record(Received(f"rpc:{name}", "", False))
            text = f"stand-in: procedure {name} is not accepted (only SELECT statements are)"
            self.send(message(2812, text, 16, server=self.state.server_name) + done(DONE_ERROR, token=0xFE))

    def transaction(self, payload: bytes) -> None:
        """Begin/commit/rollback requests: answer with the matching ENVCHANGE (types 8, 9, 10)."""
        request = struct.unpack_from("<H", payload, _skip_all_headers(payload))[0]
        kind = {5: 8, 7: 9, 8: 10}.get(request)
        reply = b""
        if kind is not None:
            descriptor = b"\x01" + b"\x00" * 7
            new, old = (descriptor, b"") if kind == 8 else (b"", descriptor)
            reply = _token(0xE3, bytes([kind, len(new)]) + new + bytes([len(old)]) + old)
        self.send(reply + done())

    def record(self, item: Received) -> None:
        with self.state.lock:
            self.state.received.append(item)

    def statement(self, kind: str, sql: str, params: Sequence[Any], rpc: bool = False,
                  handle: int | None = None) -> None:
        st = self.state
        reason = rejection_reason(sql)
        self.record(Received(kind, sql, reason is None, tuple(params)))
        if reason is None:
            with st.lock:
                st.answered += 1
                hang = st.hang_after is not None and st.answered > st.hang_after
            if hang:
                self.hang()
                return
            # The documented schema judges the text, as the real server's binder does: an object or column
            # the server's version does not have gets SQL Server's own error instead of scripted rows.
            judged = st.schema and bare(sql) not in READ_ONLY_COMMANDS
            unknown = schema.check(sql, st.version[0]) if judged else None
            answer = SqlError(unknown.number, unknown.message) if unknown else st.responder(sql)
            if judged and isinstance(answer, ResultSet):
                answer = _same_columns(sql, answer)
        else:
            answer = SqlError(50000, f"stand-in accepts only single SELECT statements ({reason})")
        done_token = 0xFF if rpc else 0xFD
        if isinstance(answer, SqlError):
            body = message(answer.number, answer.message, answer.severity, answer.state, st.server_name)
            body += done(DONE_ERROR | (DONE_MORE if rpc else 0), token=done_token)
        else:
            body = result_set(answer, done_token=done_token, more=rpc)
        if rpc:
            body += b"\x79" + struct.pack("<i", 0)  # RETURNSTATUS
            if handle is not None:  # the @handle OUTPUT parameter of sp_prepexec
                body += b"\xac" + struct.pack("<H", 0) + _b_varchar("@handle") + b"\x01"
                body += struct.pack("<IH", 0, 0x0001) + _type_info("int") + _value("int", handle)
            body += done(token=0xFE, cmd=0xE0)
        self.send(body)

    def hang(self) -> None:
        """Stop answering: wait for the client's attention and acknowledge it, as a blocked server does."""
        while True:
            ptype, _ = self.read_message()
            if ptype == PT_ATTENTION:
                self.send(done(DONE_ATTN))
                return


def _same_columns(sql: str, answer: ResultSet) -> ResultSet | SqlError:
    """A scripted answer must have exactly the columns the statement selects: a real server cannot
    return a column the text did not ask for, so a scenario that does proves nothing."""
    names = schema.output_names(sql)
    if names is None or names == [c.name.lower() for c in answer.columns]:
        return answer
    return SqlError(50000, f"stand-in scenario answers columns {[c.name for c in answer.columns]} to a "
                           f"statement that selects {names}")


class _ThreadingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class TdsServer:
    """A stand-in SQL Server on 127.0.0.1. Use as a context manager; ``port`` is chosen by the OS."""

    def __init__(self, responder: Responder, *, login: str = "linkready", password: str = "Probe-pass-1",
                 hang_after: int | None = None, server_name: str = "SQLSTANDIN",
                 version: tuple[int, int, int] = (15, 0, 4322), schema: bool = True) -> None:
        self.state = ServerState(responder, login, password, hang_after, server_name, version, schema)
        handler = type("Connection", (_Connection,), {"state": self.state})
        self._server = _ThreadingServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="tds-stand-in", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)

    def start(self) -> TdsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TdsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
