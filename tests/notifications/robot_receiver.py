"""A local stand-in for the WeCom and DingTalk robot endpoints: http.server on 127.0.0.1, a random port.

It checks what the real services check: WeCom the key in the URL; DingTalk the access token and the
timestamp + sign query parameters (HMAC-SHA256 of f"{timestamp}\\n{secret}", at most an hour old),
and answers like them: HTTP 200 with {"errcode": 0, "errmsg": "ok"} or a non-zero errcode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WECOM_KEY = "693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "abc123token"
DINGTALK_SECRET = "SECtest0a1b2c3d4e5f6789"  # the test robot's signing secret


@dataclass
class Call:
    at: float
    path: str
    query: dict
    body: dict


@dataclass
class RobotReceiver:
    server: ThreadingHTTPServer
    answers: list[tuple[int, int]] = field(default_factory=list)  # (HTTP status, errcode) to give first
    calls: list[Call] = field(default_factory=list)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def wecom_url(self) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={WECOM_KEY}"

    @property
    def dingtalk_url(self) -> str:
        return f"{self.base}/robot/send?access_token={DINGTALK_TOKEN}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _dingtalk_errcode(query: dict) -> int:
    if query.get("access_token") != [DINGTALK_TOKEN]:
        return 300001  # token is not exist
    try:
        timestamp = int(query["timestamp"][0])
        sign = query["sign"][0]
    except (KeyError, ValueError, IndexError):
        return 310000
    if abs(time.time() * 1000 - timestamp) > 3600 * 1000:
        return 310000
    expected = base64.b64encode(
        hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    return 0 if hmac.compare_digest(expected, sign) else 310000  # sign not match


def robot_receiver_start() -> RobotReceiver:
    state: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            receiver: RobotReceiver = state["receiver"]
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)  # decodes the sign's %2B etc. as DingTalk does
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            receiver.calls.append(Call(at=time.monotonic(), path=parts.path, query=query, body=body))
            status, errcode = receiver.answers.pop(0) if receiver.answers else (200, 0)
            if status == 200 and errcode == 0:
                if parts.path == "/robot/send":
                    errcode = _dingtalk_errcode(query)
                elif query.get("key") != [WECOM_KEY]:
                    errcode = 93000  # invalid webhook url
            answer = json.dumps({"errcode": errcode, "errmsg": "ok" if errcode == 0 else "refused"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = RobotReceiver(server=server)
    state["receiver"] = receiver
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
