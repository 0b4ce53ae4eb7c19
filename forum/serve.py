"""Serve Kindred with Socket.IO support: ``python -m forum.serve``.

Used by ``make run`` and by the tests' live servers. Production uses
gunicorn instead (see README).
"""
from __future__ import annotations

import argparse

from forum import create_app
from forum.extensions import socketio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    app = create_app()
    # Werkzeug's server is fine for a local, single-machine run; the flag
    # acknowledges that it is not the production server.
    socketio.run(app, host=args.host, port=args.port, debug=args.debug,
                 use_reloader=False, allow_unsafe_werkzeug=True, log_output=args.debug)


if __name__ == "__main__":
    main()
