"""How a deployment reaches the operators: outbound proxy, trusted CAs, client certificate,
timeouts; and the pieces of plumbing every operator adapter shares.

An académie's servers often leave the network through an HTTPS proxy, trust an internal CA for the
inspection it does, and present a client certificate installed on the servers (the seed speaks of
certificates). These are per-deployment settings, the same for every school; the operator
adapters share the one `httpx.AsyncClient` built here.
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from shared.operators.base import (
    OperatorError,
    OutcomeUnknownError,
    PermanentOperatorError,
    TransientOperatorError,
)

# Failures that prove the request never reached the operator: safe to send again. A URL the
# client cannot use (a mistyped base URL in the catalog) is among them: nothing left.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.InvalidURL,
)
# Runs of digits this long in an operator's free text may be a phone number.
_DIGIT_RUN = re.compile(r"\d{6,}")


class OperatorHttpSettings(BaseModel):
    """The outbound HTTP settings of the operator adapters.

    `ca_bundle_path` replaces the default trust store (a PEM file: put the public roots in it
    too if the operators are reached without TLS inspection). `client_key_path` may be omitted
    when the key is in the certificate file. The proxy URL may hold credentials: it is a secret.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    proxy_url: SecretStr | None = None
    ca_bundle_path: Path | None = None
    client_cert_path: Path | None = None
    client_key_path: Path | None = None
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=15.0, gt=0)

    @model_validator(mode="after")
    def _key_goes_with_a_certificate(self) -> OperatorHttpSettings:
        if self.client_key_path is not None and self.client_cert_path is None:
            raise ValueError("client_key_path needs client_cert_path")
        return self


def operator_ssl_context(settings: OperatorHttpSettings) -> ssl.SSLContext:
    """The TLS context for operator calls: the CA bundle (or the system's store) and the
    client certificate when there is one. Unreadable files fail here, at start-up."""
    if settings.ca_bundle_path is not None:
        context = ssl.create_default_context(cafile=str(settings.ca_bundle_path))
    else:
        context = ssl.create_default_context()
    if settings.client_cert_path is not None:
        context.load_cert_chain(
            certfile=str(settings.client_cert_path),
            keyfile=str(settings.client_key_path) if settings.client_key_path else None,
        )
    return context


def build_operator_client(settings: OperatorHttpSettings) -> httpx.AsyncClient:
    """The HTTP client every operator adapter of a process shares.

    The environment's proxy variables and `.netrc` are ignored (`trust_env=False`): only the
    deployment's settings decide where operator traffic goes.
    """
    proxy = settings.proxy_url.get_secret_value() if settings.proxy_url is not None else None
    return httpx.AsyncClient(
        verify=operator_ssl_context(settings),
        proxy=proxy,
        timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
        trust_env=False,
    )


class OperatorHttpFields(BaseSettings):
    """The same settings as flat fields of a service's settings class (mixed in), so each reads
    them with its own prefix: `DISPATCHER_OPERATOR_PROXY_URL`, `…_OPERATOR_CA_BUNDLE`,
    `…_OPERATOR_CLIENT_CERT`, `…_OPERATOR_CLIENT_KEY`, `…_OPERATOR_CONNECT_TIMEOUT_S`. The read
    timeout is the service's own operator timeout field."""

    operator_proxy_url: SecretStr | None = None
    operator_ca_bundle: Path | None = None
    operator_client_cert: Path | None = None
    operator_client_key: Path | None = None
    operator_connect_timeout_s: float = Field(default=5.0, gt=0)

    def operator_http(self, *, read_timeout_s: float) -> OperatorHttpSettings:
        return OperatorHttpSettings(
            proxy_url=self.operator_proxy_url,
            ca_bundle_path=self.operator_ca_bundle,
            client_cert_path=self.operator_client_cert,
            client_key_path=self.operator_client_key,
            connect_timeout_s=self.operator_connect_timeout_s,
            read_timeout_s=read_timeout_s,
        )


async def operator_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    operator: str,
    sent_once: bool = False,
    **kwargs: Any,
) -> httpx.Response:
    """One request to an operator, its transport failures told apart.

    Connecting failed (refused, TLS, proxy, connect timeout): `TransientOperatorError`, nothing
    reached the operator. The request left but no answer came (read timeout, connection
    dropped): `OutcomeUnknownError` when `sent_once` (a send the operator may have processed),
    else `TransientOperatorError`. Messages name the failure's type, never the URL's query.
    """
    try:
        return await client.request(method, url, **kwargs)
    except _NOT_SENT as exc:
        raise TransientOperatorError(f"{operator} unreachable ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        if sent_once:
            raise OutcomeUnknownError(
                f"{operator}: no answer after sending ({type(exc).__name__})"
            ) from None
        raise TransientOperatorError(f"{operator} did not answer ({type(exc).__name__})") from None


def operator_code(text: str, *, limit: int = 60) -> str:
    """An operator's code or error text as kept beside the canonical state: shortened, and any
    run of digits long enough to be a phone number masked (operators quote numbers in errors)."""
    return _DIGIT_RUN.sub("…", text.strip())[:limit]


def retry_after_s(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (its date form is not used by operators we know)."""
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def failure(operator: str, reason_code: str, *, retry_after: float | None = None) -> OperatorError:
    """The exception for an account-wide refusal: passing for `operator_unreachable`, else
    permanent (someone must act: credentials, credit, configuration)."""
    if reason_code == "operator_unreachable":
        return TransientOperatorError(f"{operator} unavailable", retry_after_s=retry_after)
    return PermanentOperatorError(f"{operator} refused ({reason_code})", reason_code=reason_code)


def parse_xml(content: bytes) -> Element:
    """An operator's XML answer, parsed without entity expansion (raises `ValueError`)."""
    try:
        root: Element = ElementTree.fromstring(content)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ValueError(f"unreadable XML ({type(exc).__name__})") from None
    return root


def local_name(element: Element) -> str:
    """An element's tag without namespace, lower-cased."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""
