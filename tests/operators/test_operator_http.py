"""The deployment's outbound HTTP settings reach the operators' client: a CA bundle and a client
certificate made in the test against a local HTTPS server that demands one, a proxy built in the
test, the timeouts; and transport failures told apart."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr, ValidationError

from dispatcher.settings import DispatcherSettings
from shared.operators.base import OutcomeUnknownError, TransientOperatorError
from shared.operators.http import OperatorHttpSettings, build_operator_client, operator_request
from status_poller.settings import StatusPollerSettings

# Certificates


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    ip: str | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """An académie's CA, the operator's server certificate and the servers' client certificate."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("Académie test CA", ca_key, _name("Académie test CA"), ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue("operator", server_key, ca.subject, ca_key, ip="127.0.0.1")
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue("sms.academie.test", client_key, ca.subject, ca_key)
    _write(folder / "ca.pem", ca, None)
    _write(folder / "server.pem", server, server_key)
    _write(folder / "client.pem", client, client_key)
    return Pki(
        ca=folder / "ca.pem",
        server_cert=folder / "server.pem",
        server_key=folder / "server.key",
        client_cert=folder / "client.pem",
        client_key=folder / "client.key",
    )


# Local servers


@dataclass
class LocalServer:
    url: str
    heads: list[list[str]] = field(default_factory=list)  # request line and headers, per request


Handler = Callable[[LocalServer, list[str], asyncio.StreamWriter], Awaitable[bytes]]


async def _serve(handler: Handler, tls: ssl.SSLContext | None) -> AsyncIterator[LocalServer]:
    scheme = "https" if tls else "http"
    state = LocalServer(url="")

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
            head = raw.decode("latin-1").split("\r\n")[:-2]
            state.heads.append(head)
            body = await handler(state, head, writer)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    state.url = f"{scheme}://127.0.0.1:{port}"
    async with server:
        yield state


async def _peer_name(_: LocalServer, __: list[str], writer: asyncio.StreamWriter) -> bytes:
    peer = writer.get_extra_info("peercert") or {}
    names = [value for rdn in peer.get("subject", ()) for key, value in rdn if key == "commonName"]
    return (names[0] if names else "anonymous").encode()


async def _proxy_answer(_: LocalServer, __: list[str], ___: asyncio.StreamWriter) -> bytes:
    return b"via proxy"


@pytest.fixture
async def operator_tls(pki: Pki) -> AsyncIterator[LocalServer]:
    """An HTTPS server that demands a client certificate from the académie's CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca))
    context.load_cert_chain(str(pki.server_cert), str(pki.server_key))
    context.verify_mode = ssl.CERT_REQUIRED
    async for server in _serve(_peer_name, context):
        yield server


@pytest.fixture
async def proxy() -> AsyncIterator[LocalServer]:
    """A forward proxy that answers every request itself and keeps what it was asked."""
    async for server in _serve(_proxy_answer, None):
        yield server


# The tests


async def test_the_ca_bundle_and_client_certificate_reach_the_operator(
    pki: Pki, operator_tls: LocalServer
) -> None:
    settings = OperatorHttpSettings(
        ca_bundle_path=pki.ca, client_cert_path=pki.client_cert, client_key_path=pki.client_key
    )
    async with build_operator_client(settings) as client:
        answer = await client.get(f"{operator_tls.url}/api/account/getallaccounts")

    assert answer.text == "sms.academie.test"  # the client certificate the server verified


async def test_an_operator_whose_certificate_the_bundle_does_not_vouch_for_is_unreachable(
    pki: Pki, operator_tls: LocalServer
) -> None:
    settings = OperatorHttpSettings(
        client_cert_path=pki.client_cert, client_key_path=pki.client_key
    )
    async with build_operator_client(settings) as client:
        with pytest.raises(TransientOperatorError):
            await operator_request(client, "GET", operator_tls.url, operator="test", sent_once=True)

    assert operator_tls.heads == []


async def test_requests_go_through_the_configured_proxy_with_its_credentials(
    proxy: LocalServer,
) -> None:
    address = proxy.url.replace("http://", "http://relay:s3cret@")
    async with build_operator_client(OperatorHttpSettings(proxy_url=SecretStr(address))) as client:
        answer = await client.post("http://operator.invalid/pluriware/xmlapi.php", data={"a": "b"})

    assert answer.text == "via proxy"
    [head] = proxy.heads
    assert head[0] == "POST http://operator.invalid/pluriware/xmlapi.php HTTP/1.1"
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in head[1:])}
    credentials = base64.b64encode(b"relay:s3cret").decode()
    assert headers["proxy-authorization"] == f"Basic {credentials}"


async def test_the_environments_proxy_variables_are_ignored(
    proxy: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    async with build_operator_client(OperatorHttpSettings()) as client:
        answer = await client.get(f"{proxy.url}/direct")

    assert answer.text == "via proxy"
    assert proxy.heads[0][0] == "GET /direct HTTP/1.1"  # asked directly, not as a proxy


@pytest.mark.parametrize(
    ("settings_class", "prefix", "read_timeout_field"),
    [
        (DispatcherSettings, "DISPATCHER_", "operator_timeout_s"),
        (StatusPollerSettings, "STATUS_POLLER_", "operator_http_timeout_s"),
    ],
)
async def test_a_services_environment_reaches_its_operator_client(
    settings_class: type[DispatcherSettings] | type[StatusPollerSettings],
    prefix: str,
    read_timeout_field: str,
    proxy: LocalServer,
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{prefix}OPERATOR_PROXY_URL", proxy.url)
    monkeypatch.setenv(f"{prefix}OPERATOR_CA_BUNDLE", str(pki.ca))
    monkeypatch.setenv(f"{prefix}OPERATOR_CLIENT_CERT", str(pki.client_cert))
    monkeypatch.setenv(f"{prefix}OPERATOR_CLIENT_KEY", str(pki.client_key))
    monkeypatch.setenv(f"{prefix}OPERATOR_CONNECT_TIMEOUT_S", "2.5")
    monkeypatch.setenv(f"{prefix}{read_timeout_field.upper()}", "7")
    settings = settings_class()

    http = settings.operator_http(read_timeout_s=getattr(settings, read_timeout_field))
    async with build_operator_client(http) as client:
        answer = await client.get("http://operator.invalid/envoyersmspro/api/message/stats")

    assert http.ca_bundle_path == pki.ca and http.client_cert_path == pki.client_cert
    assert answer.text == "via proxy"
    assert (client.timeout.connect, client.timeout.read) == (2.5, 7.0)


def test_a_client_key_without_its_certificate_is_refused(pki: Pki) -> None:
    with pytest.raises(ValidationError):
        OperatorHttpSettings(client_key_path=pki.client_key)


def test_an_unreadable_ca_bundle_fails_when_the_client_is_built(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        build_operator_client(OperatorHttpSettings(ca_bundle_path=tmp_path / "missing.pem"))


async def test_a_refused_connection_is_a_passing_failure() -> None:
    async with build_operator_client(OperatorHttpSettings()) as client:
        with pytest.raises(TransientOperatorError):
            await operator_request(
                client, "POST", "http://127.0.0.1:9/xmlapi.php", operator="test", sent_once=True
            )


async def test_no_answer_after_sending_is_unknown_for_a_send_and_passing_otherwise() -> None:
    async def silent(_: LocalServer, __: list[str], ___: asyncio.StreamWriter) -> bytes:
        await asyncio.sleep(1)
        return b""

    settings = OperatorHttpSettings(read_timeout_s=0.3)
    async for server in _serve(silent, None):
        async with build_operator_client(settings) as client:
            with pytest.raises(OutcomeUnknownError):
                await operator_request(client, "POST", server.url, operator="t", sent_once=True)
            with pytest.raises(TransientOperatorError):
                await operator_request(client, "POST", server.url, operator="t")
