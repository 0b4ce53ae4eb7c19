"""Serve Kindred with Socket.IO support: ``python -m forum.serve``.

Used by ``make run`` and by the tests' live servers. Production uses
gunicorn instead (see README and docs/chat.md).

Threading mode with simple-websocket (eventlet is deprecated upstream).
Every accepted socket gets ``TCP_NODELAY``: Socket.IO often writes two
small frames back to back (a broadcast, then the sender's ack), and with
Nagle's algorithm the second waits for the peer's delayed ACK, which
stalled chat by about 40 ms per message on this machine (measured with
``bench/chat_bench.py --no-nodelay``; see docs/chat.md). The rest of the
process set-up (``prepare_for_serving``) is shared with ``wsgi.py``.
"""
from __future__ import annotations

import argparse
import gc
import signal

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

from config import SettingsError
from forum import create_app
from forum.auth import sessions
from forum.extensions import socketio


class NoDelayRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with Nagle's algorithm off (socketserver sets
    TCP_NODELAY in ``setup()`` when this flag is true)."""

    disable_nagle_algorithm = True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--no-nodelay", action="store_true",
                        help="leave Nagle's algorithm on (only to measure its cost)")
    parser.add_argument("--worker", action="store_true",
                        help="also run the huey job consumer in this process (the embedded set-up)")
    args = parser.parse_args(argv)
    try:
        app = create_app()
    except SettingsError as exc:
        # One clear line for the operator, not a traceback.
        raise SystemExit(str(exc)) from None
    prepare_for_serving(app)
    consumer = start_embedded_worker() if args.worker else None
    try:
        _serve(app, args)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


def prepare_for_serving(app: Flask | None = None) -> None:
    """Set up this process to serve Socket.IO, once the app is built.

    Used by ``forum.serve`` and by ``wsgi.py`` (gunicorn), so both serve
    chat the same way (docs/chat.md, "Benchmark"):

    * the objects alive at start-up are frozen out of the garbage
      collector's full passes (``freeze_startup_objects``);
    * with ``app``, the sweeper that closes sockets of logins ended by
      another process (``forum.auth.sessions.start_sweeper``).
    """
    freeze_startup_objects()
    if app is not None:
        # Sockets whose login another process ended (forum/auth/sessions.py).
        sessions.start_sweeper(app)


def freeze_startup_objects() -> None:
    """Keep the objects that live as long as the process out of the garbage
    collector's full passes.

    The app, its imported modules and the screening engine's tables (loaded
    here when ``KINDRED_WARM_UP=1``) are a quarter of a million objects. A
    full collection walked them all, about 110 ms with the interpreter lock
    held, every second or two under chat load: the whole server stood still
    that long, which was most of the latency tail (docs/chat.md). Frozen
    objects are still used normally; they are just never scanned (nor freed,
    which they never would be anyway).
    """
    gc.collect()
    gc.freeze()


def start_embedded_worker():
    """Run the job consumer's threads inside this server process.

    Without Redis there is no message queue between processes, so Socket.IO
    emits made by a separate consumer (deadline re-alerts) could not reach
    the browsers connected here. In the embedded, single-process set-up the
    consumer therefore runs in-process, and its re-alerts go straight to the
    connected moderators and staff. With ``REDIS_URL`` set, run consumers as
    their own processes instead (``make worker``).
    """
    from forum.jobs import huey

    consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=True)
    consumer.start()
    # huey's consumer installs its own SIGINT/SIGTERM handlers for a process
    # it owns; here the web server owns the process, so restore the defaults.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return consumer


def _serve(app, args: argparse.Namespace) -> None:
    handler = WSGIRequestHandler if args.no_nodelay else NoDelayRequestHandler
    # Werkzeug's server is fine for a local, single-machine run; the flag
    # acknowledges that it is not the production server.
    socketio.run(app, host=args.host, port=args.port, debug=args.debug, request_handler=handler,
                 use_reloader=False, allow_unsafe_werkzeug=True, log_output=args.debug)


if __name__ == "__main__":
    main()
