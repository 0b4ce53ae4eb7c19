"""Real local SMTP and webhook servers for notification tests (threads)."""
from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Enough of RFC 5321 for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        self.wfile.write(b"220 test-smtp ready\r\n")
        while line := self.rfile.readline():
            cmd = line.decode(errors="replace").strip().upper()
            if cmd.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 test-smtp\r\n")
            elif cmd.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.wfile.write(b"250 OK\r\n")
            elif cmd == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                self.server.messages.append(b"".join(data).decode(errors="replace"))
                self.wfile.write(b"250 queued\r\n")
            elif cmd == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 not implemented\r\n")


class SMTPSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[str] = []
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _HookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.payloads.append(json.loads(body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args) -> None:  # quiet
        return


class WebhookSink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, status: int = 204) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.payloads: list[dict] = []
        self.status = status
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
