"""Direct WebSocket writes for Socket.IO in threading mode (``forum.serve``).

Why this exists: in threading mode python-engineio gives every WebSocket a
writer thread fed by a queue. A room broadcast is encoded once, but then
each recipient's packet is put on its own queue and its own thread wakes up
to frame it (wsproto, zlib when the browser negotiated permessage-deflate)
and write it. With 200 members in a room sending once a second that is
40,000 thread wake-ups and GIL hand-offs a second, and it was most of the
server's CPU (see docs/chat.md, "Benchmark").

What this does instead, for connections that opened as WebSocket (the
Kindred client and python-socketio clients try WebSocket first):

* a room broadcast is framed **once** (server-to-client frames are not
  masked, so every recipient gets the same bytes) and written to each
  socket from the emitting thread;
* any other message packet to such a socket (acks, single-client emits) is
  framed and written at once, in the caller's thread;
* every write to the socket, including the engine.io writer thread's pings
  and simple-websocket's close and pong frames, goes through one lock per
  socket (``Connection``), so frames never interleave. Writes never block
  the caller: what the kernel does not take at once is queued in order and
  written by a short-lived thread, and a client that falls more than
  ``MAX_BACKLOG`` bytes behind is disconnected (it reconnects and catches up
  from the database with ``join(after=…)``).

Each write is one non-blocking send(2) made without releasing the
interpreter lock (``_gil_holding_send``): releasing it 200 times per
broadcast while other threads were busy made the broadcasting thread wait
for the lock again at nearly every member (p99 1.9 s -> 35 ms at 100
members, docs/chat.md).

Frames we write are uncompressed. RFC 7692 lets a sender choose per message
(RSV1 unset), so this stays valid when permessage-deflate was negotiated.
Connections upgraded from long-polling keep the library's own path.

The library internals this relies on are checked by ``check_internals()``
at install time and by tests/chat/test_fanout.py, which fails loudly if
python-engineio, python-socketio or simple-websocket change them.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import socket
import struct
import threading
from importlib.metadata import version as _version
from typing import Any

import simple_websocket
from engineio import packet as eio_packet
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from engineio.socket import Socket as EioSocket

log = logging.getLogger(__name__)

MAX_BACKLOG = 4 * 1024 * 1024  # bytes a client may fall behind before it is cut off


def _gil_holding_send():
    """libc's send(2), called without releasing the interpreter lock.

    ``socket.send`` releases the GIL around every system call. A broadcast
    makes one call per member, and while other threads run Python code (the
    next messages' send path) each release costs a GIL hand-off: the
    broadcasting thread then waits for the lock again, up to the switch
    interval (5 ms) per member when the others are busy. With MSG_DONTWAIT
    the call cannot block, so it is safe to make while holding the lock.
    ``ctypes.PyDLL`` is the documented way to call C without releasing it.
    """
    try:
        libc = ctypes.PyDLL(ctypes.util.find_library("c") or None, use_errno=True)
        send = libc.send
    except (OSError, AttributeError):  # not a libc platform: use socket.send
        return None
    send.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int)
    send.restype = ctypes.c_ssize_t
    return send


_libc_send = _gil_holding_send()
_FRAME_ATTR = "_kindred_ws_frame"


def ws_frame(payload: str | bytes) -> bytes:
    """One unmasked, final WebSocket frame: text for ``str``, binary for ``bytes``."""
    if isinstance(payload, str):
        data, opcode = payload.encode(), 0x81
    else:
        data, opcode = bytes(payload), 0x82
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", opcode, n)
    elif n < 65536:
        header = struct.pack("!BBH", opcode, 126, n)
    else:
        header = struct.pack("!BBQ", opcode, 127, n)
    return header + data


def packet_frame(pkt: eio_packet.Packet) -> bytes:
    """The frame for an engine.io packet, built once per packet object: a
    room broadcast passes the same packet for every recipient."""
    frame = getattr(pkt, _FRAME_ATTR, None)
    if frame is None:
        frame = ws_frame(pkt.encode())
        setattr(pkt, _FRAME_ATTR, frame)
    return frame


class Connection:
    """All writes to one WebSocket's TCP socket, in order, never blocking.

    Stands in for the socket object inside simple-websocket (``ws.sock``),
    so the library's own writes (pings, pongs, close frames) take the same
    lock as ours; reads and everything else go to the real socket.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()
        # A socket with a timeout is non-blocking underneath and Python
        # waits in poll() before sending, even with MSG_DONTWAIT; a plain
        # write(2) on its descriptor does not wait.
        self._try_send = self._send_nowait if sock.gettimeout() is None else self._write_nowait
        self._backlog = bytearray()
        self._draining = False
        self.broken = False

    def __getattr__(self, name: str) -> Any:  # recv, close, fileno, ...
        return getattr(self._sock, name)

    def send(self, data: bytes, flags: int = 0) -> int:
        self.write(data)
        return len(data)

    sendall = send

    def write(self, data: bytes) -> None:
        if not isinstance(data, bytes):
            data = bytes(data)  # the libc call takes bytes only
        with self._lock:
            if self.broken:
                raise BrokenPipeError("websocket connection is gone")
            if self._draining:
                self._queue(data)
                return
            try:
                sent = self._try_send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self.broken = True
                raise
            if sent < len(data):
                self._queue(data[sent:])
                self._draining = True
                threading.Thread(target=self._drain, name="kindred-ws-drain", daemon=True).start()

    def _send_nowait(self, data: bytes) -> int:
        if _libc_send is None:
            return self._sock.send(data, socket.MSG_DONTWAIT)
        sent = _libc_send(self._sock.fileno(), data, len(data), socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
        if sent < 0:
            err = ctypes.get_errno()
            if err in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
                return 0
            raise OSError(err, os.strerror(err))
        return sent

    def _write_nowait(self, data: bytes) -> int:
        return os.write(self._sock.fileno(), data)

    def _queue(self, data: bytes) -> None:
        self._backlog += data
        if len(self._backlog) > MAX_BACKLOG:
            # A client this far behind is not reading; cut it off rather
            # than hold its messages in memory. It reconnects and catches up.
            self.broken = True
            self._backlog.clear()
            log.warning("websocket client more than %d bytes behind: disconnected", MAX_BACKLOG)
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _drain(self) -> None:
        """Write the backlog with blocking sends; new writes queue behind it."""
        while True:
            with self._lock:
                if self.broken or not self._backlog:
                    self._draining = False
                    return
                chunk = bytes(self._backlog)
                self._backlog.clear()
            try:
                self._sock.sendall(chunk)
            except OSError:
                with self._lock:
                    self.broken = True
                    self._draining = False
                return


class DirectWebSocketWSGI(SimpleWebSocketWSGI):
    """engine.io's simple-websocket wrapper, with the socket behind a
    ``Connection`` and the engine.io socket switched to direct writes."""

    def __call__(self, environ: dict, start_response: Any) -> Any:
        eio_socket = getattr(self.app, "__self__", None)  # the bound Socket._websocket_handler
        self.ws = simple_websocket.Server(environ, **self.server_args)
        conn = Connection(self.ws.sock)
        self.ws.sock = conn
        # Only a connection that opened as WebSocket: one upgraded from
        # long-polling may still have packets queued for its writer thread,
        # and a direct write could overtake them.
        direct = isinstance(eio_socket, EioSocket) and not eio_socket.connected
        if direct:
            _make_direct(eio_socket, conn)
        try:
            ret = self.app(self)
        finally:
            if direct:
                eio_socket.__dict__.pop("send", None)
                eio_socket.__dict__.pop("kindred_conn", None)
        if self.ws.mode == "gunicorn":
            raise StopIteration()
        if self.ws.mode == "werkzeug":
            raise ConnectionError()
        return ret


def _make_direct(eio_socket: EioSocket, conn: Connection) -> None:
    """Shadow this one engine.io socket's ``send``: message packets are
    written at once; control packets (ping, noop, close) keep the queue, so
    the writer thread stays alive and closes the socket as before."""
    queued_send = eio_socket.send

    def send(pkt: eio_packet.Packet) -> None:
        if pkt.packet_type != eio_packet.MESSAGE or eio_socket.closed:
            queued_send(pkt)
            return
        if not eio_socket.check_ping_timeout():
            return
        try:
            conn.write(packet_frame(pkt))
        except OSError:
            pass  # the reader thread sees the dead socket and closes it

    eio_socket.send = send
    eio_socket.kindred_conn = conn


def _send_eio_packet(server: Any, eio_sid: str, pkt: eio_packet.Packet) -> None:
    """python-socketio calls this once per recipient of a room emit, with the
    same packet object each time; ``packet_frame`` frames it once."""
    eio_socket = server.eio.sockets.get(eio_sid)
    conn = getattr(eio_socket, "kindred_conn", None) if eio_socket is not None else None
    if conn is None or eio_socket.closed:
        server.eio.send_packet(eio_sid, pkt)
        return
    try:
        conn.write(packet_frame(pkt))
    except OSError:
        pass


def check_internals(sio_server: Any) -> None:
    """Fail at start-up, not in production traffic, if a library update
    changed what this module relies on."""
    eio = sio_server.eio
    problems = []
    if eio._async.get("websocket") not in (SimpleWebSocketWSGI, DirectWebSocketWSGI):
        problems.append("engine.io's threading driver no longer uses SimpleWebSocketWSGI")
    for name in ("_websocket_handler", "send", "check_ping_timeout"):
        if not callable(getattr(EioSocket, name, None)):
            problems.append(f"engineio.socket.Socket has no {name}()")
    probe = EioSocket(eio, "kindred-fanout-probe")
    for name in ("closed", "connected", "queue"):
        if not hasattr(probe, name):
            problems.append(f"engineio sockets have no {name}")
    if not callable(getattr(sio_server, "_send_eio_packet", None)):
        problems.append("socketio.Server has no _send_eio_packet()")
    if not isinstance(getattr(eio, "sockets", None), dict):
        problems.append("engineio.Server has no sockets dict")
    if not hasattr(simple_websocket.Server, "send") or "sock" not in simple_websocket.ws.Base.__init__.__code__.co_names:
        problems.append("simple_websocket no longer writes through self.sock")
    if problems:
        raise RuntimeError("forum.fanout: " + "; ".join(problems) + f" (python-engineio {_version('python-engineio')})")


def install(sio_server: Any) -> None:
    """Switch a threading-mode ``socketio.Server`` to direct writes."""
    if sio_server.async_mode != "threading":
        return
    check_internals(sio_server)
    eio = sio_server.eio
    eio._async = {**eio._async, "websocket": DirectWebSocketWSGI}
    sio_server._send_eio_packet = lambda eio_sid, pkt: _send_eio_packet(sio_server, eio_sid, pkt)
