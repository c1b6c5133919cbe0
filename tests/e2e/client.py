"""A small HTTP client for the scenario: JSON in and out, knox tokens, multipart uploads (urllib only)."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass
class Response:
    method: str
    url: str
    status: int
    body: dict | list | str

    def json(self) -> dict:
        assert isinstance(self.body, dict), f"{self.method} {self.url}: not a JSON object: {self.body!r}"
        return self.body

    def expect(self, *statuses: int) -> Response:
        wanted = " or ".join(str(status) for status in statuses)
        assert self.status in statuses, f"{self.method} {self.url} answered {self.status}, not {wanted}: {self.body}"
        return self


class Api:
    """One caller of the platform's API: anonymous, or signed in with a knox token."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 20):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _send(self, method: str, path: str, data: bytes | None, content_type: str | None) -> Response:
        url = f"{self.base_url}{path}"
        headers = {"Accept": "application/json", "Accept-Language": "en"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - our server
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        return Response(method, url, status, body)

    def get(self, path: str) -> Response:
        return self._send("GET", path, None, None)

    def post(self, path: str, payload: dict | None = None) -> Response:
        return self._send("POST", path, json.dumps(payload or {}).encode(), "application/json")

    def patch(self, path: str, payload: dict) -> Response:
        return self._send("PATCH", path, json.dumps(payload).encode(), "application/json")

    def upload(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> Response:
        """multipart/form-data: plain fields, and files as name -> (file name, content, content type)."""
        boundary = f"----e2e{secrets.token_hex(12)}"
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (file_name, content, content_type) in files.items():
            parts.append(
                (
                    f"--{boundary}\r\nContent-Disposition: form-data; "
                    f'name="{name}"; filename="{file_name}"\r\nContent-Type: {content_type}\r\n\r\n'
                ).encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self._send("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def signed_in(self, username: str, password: str) -> Api:
        answer = Api(self.base_url).post("/api/v1/auth/token/", {"username": username, "password": password})
        answer.expect(200)
        return Api(self.base_url, token=answer.json()["token"], timeout=self.timeout)

    def register(self, username: str, password: str) -> tuple[Api, int]:
        """Create an account through the API; return it signed in, and its user id."""
        answer = Api(self.base_url).post(
            "/api/v1/auth/register/",
            {"username": username, "email": f"{username}@example.org", "password": password},
        )
        answer.expect(201)
        return self.signed_in(username, password), answer.json()["id"]
