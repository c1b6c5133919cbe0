"""Real sign-on servers for the tests, each its own process on a free port of 127.0.0.1.

- The test university's CAS + OpenID Connect server (tests/identity/idp: django-mama-cas and
  django-oidc-provider) under gunicorn, with its own SQLite database.
- OpenLDAP's slapd (Debian package `slapd`) with a temporary configuration and directory, plain
  LDAP with StartTLS and LDAPS, its certificate signed by a throwaway CA.

Every wait is bounded; output goes to log files shown when a start fails.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .idp.directory import PEOPLE

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
LDAP_BASE = "dc=btu,dc=example,dc=edu,dc=cn"
LDAP_READER_DN = f"cn=reader,ou=services,{LDAP_BASE}"
LDAP_READER_PASSWORD = "reader-pass-for-tests"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{tail}")


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- the CAS + OpenID Connect server ----------------------------------------------------------


@dataclass
class IdpServer:
    url: str
    process: subprocess.Popen
    env: dict
    log: Path

    @property
    def cas_url(self) -> str:
        return f"{self.url}/cas/"

    @property
    def issuer(self) -> str:
        return f"{self.url}/openid"

    def add_redirect_uri(self, uri: str) -> None:
        subprocess.run(  # noqa: S603 - our own script
            [sys.executable, "-m", "tests.identity.idp.prepare", "--redirect-uri", uri],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        _stop(self.process)


def idp_start(
    workdir: Path, *, ticket_expire: int = 90, redirect_uris: tuple[str, ...] = (), copy_of: IdpServer | None = None
) -> IdpServer:
    """Start the test IdP; copy_of reuses another instance's prepared database (skips the slow migrate)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.identity.idp.settings",
        "IDP_DB": str(workdir / "idp.sqlite3"),
        "IDP_SITE_URL": url,
        "IDP_TICKET_EXPIRE": str(ticket_expire),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    if copy_of is not None:
        shutil.copyfile(copy_of.env["IDP_DB"], env["IDP_DB"])
    else:
        prepare = [sys.executable, "-m", "tests.identity.idp.prepare", "--migrate"]
        for uri in redirect_uris:
            prepare += ["--redirect-uri", uri]
        subprocess.run(prepare, cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)  # noqa: S603
    log = workdir / "idp.log"
    process = subprocess.Popen(  # noqa: S603 - our own virtualenv's gunicorn
        [
            str(BIN / "gunicorn"),
            "tests.identity.idp.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = IdpServer(url=url, process=process, env=env, log=log)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the test IdP exited:\n{log.read_text(errors='replace')[-3000:]}")
        with urllib.request.urlopen(f"{server.issuer}/.well-known/openid-configuration", timeout=2) as response:  # noqa: S310
            return response.status == 200

    try:
        _wait(ready, timeout=60, what="the test IdP (CAS + OIDC)", log=log)
    except BaseException:
        server.stop()
        raise
    return server


# --- OpenLDAP slapd ---------------------------------------------------------------------------


@dataclass
class SlapdServer:
    port: int
    tls_port: int
    ca_pem: str
    process: subprocess.Popen
    workdir: Path

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    def stop(self) -> None:
        _stop(self.process)


def _ssha(password: str) -> str:
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - LDAP's {SSHA} scheme, test data
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _certificates(workdir: Path) -> str:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost signed by it; returns the CA PEM."""
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test University CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (workdir / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (workdir / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    return ca.public_bytes(serialization.Encoding.PEM).decode()


def _ldif() -> str:
    entries = [
        f"dn: {LDAP_BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: btu\no: Test University\n",
        f"dn: ou=people,{LDAP_BASE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=services,{LDAP_BASE}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: {LDAP_READER_DN}\nobjectClass: person\ncn: reader\nsn: reader\n"
        f"userPassword: {_ssha(LDAP_READER_PASSWORD)}\n",
    ]
    for person in PEOPLE:
        lines = [
            f"dn: uid={person.username},ou=people,{LDAP_BASE}",
            "objectClass: inetOrgPerson",
            f"uid: {person.username}",
            "cn:: " + base64.b64encode(person.display_name.encode()).decode(),
            "sn:: " + base64.b64encode(person.display_name[:1].encode()).decode(),
            f"mail: {person.email}",
            f"userPassword: {_ssha(person.password)}",
        ]
        if person.staff_number:
            lines.append(f"employeeNumber: {person.staff_number}")
        if person.department:
            lines.append("ou:: " + base64.b64encode(person.department.encode()).decode())
        entries.append("\n".join(lines) + "\n")
    return "\n".join(entries)


def slapd_start(workdir: Path) -> SlapdServer:
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    data.mkdir(exist_ok=True)
    ca_pem = _certificates(workdir)
    config = workdir / "slapd.conf"
    config.write_text(
        f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {workdir}/slapd.pid
TLSCertificateFile {workdir}/server.crt
TLSCertificateKeyFile {workdir}/server.key
database mdb
maxsize 10485760
suffix "{LDAP_BASE}"
rootdn "cn=admin,{LDAP_BASE}"
directory {data}
access to attrs=userPassword by self read by anonymous auth by * none
access to * by dn.exact="{LDAP_READER_DN}" read by self read by * none
"""
    )
    ldif = workdir / "data.ldif"
    ldif.write_text(_ldif(), encoding="utf-8")
    subprocess.run([SLAPADD, "-f", str(config), "-l", str(ldif)], check=True, capture_output=True, timeout=60)  # noqa: S603
    port, tls_port = free_port(), free_port()
    log = workdir / "slapd.log"
    process = subprocess.Popen(  # noqa: S603 - Debian's slapd with our temporary configuration
        [SLAPD, "-f", str(config), "-h", f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/", "-d", "0"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = SlapdServer(port=port, tls_port=tls_port, ca_pem=ca_pem, process=process, workdir=workdir)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"slapd exited:\n{log.read_text(errors='replace')[-3000:]}")
        return _port_open(port) and _port_open(tls_port)

    try:
        _wait(ready, timeout=30, what="slapd", log=log)
    except BaseException:
        server.stop()
        raise
    return server
