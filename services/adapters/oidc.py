"""The adapter to an OpenID Connect provider: discovery, the authorization URL (PKCE, state, nonce), the code
exchange and the ID token's verification. Nothing here touches the database or knows who may sign in.

authlib's AsyncOAuth2Client builds the authorization URL and exchanges the code (with the PKCE verifier);
joserfc (which authlib recommends over authlib.jose) checks the ID token's signature against the keys the
provider's discovery document names, and its claims: issuer, audience (our client id), expiry and nonce.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from typing import Any

import authlib.deprecate  # noqa: F401 (first: on import it adds an "always" filter our "ignore" must follow)
import httpx
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

with warnings.catch_warnings():
    # authlib warns once that it falls back from httpx2 to httpx: expected here, nothing to act on.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

log = logging.getLogger("portico.sso")

SCOPE = "openid email profile"
HTTP_TIMEOUT = 10.0
# Providers rotate keys rarely and announce them ahead; an hour keeps a sign-in to one request to them.
CACHE_TTL = 3600.0
CLOCK_LEEWAY = 60  # seconds of clock difference tolerated on exp/iat
# Asymmetric signatures only: "none" and HS256 (signed with the client secret) are refused.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""


class OidcFailure(Exception):
    """A sign-in the provider's answer does not support; `reason` is a short code, never shown raw to a user."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """What the callback needs to check the provider's answer: kept server-side, never in the URL alone."""

    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    subject: str
    email: str
    email_verified: bool
    name: str


@dataclass(frozen=True, slots=True)
class _Metadata:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


_config = OidcConfig()
_metadata: dict[str, tuple[float, _Metadata]] = {}
_keys: dict[str, tuple[float, KeySet]] = {}


def configure(config: OidcConfig) -> None:
    global _config
    _config = OidcConfig(config.issuer.rstrip("/"), config.client_id, config.client_secret)
    forget_cache()


def get_config() -> OidcConfig:
    return _config


def configured() -> bool:
    return bool(_config.issuer and _config.client_id)


def forget_cache() -> None:
    _metadata.clear()
    _keys.clear()


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcFailure("provider", f"{url}: {exc}") from exc
    if not isinstance(data, dict):
        raise OidcFailure("provider", f"{url}: not a JSON object")
    return data


async def _discover() -> _Metadata:
    issuer = _config.issuer
    cached = _metadata.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    data = await _get_json(f"{issuer}/.well-known/openid-configuration")
    # The document must speak for the issuer we trust, or its endpoints and keys could be anyone's.
    if str(data.get("issuer", "")).rstrip("/") != issuer:
        raise OidcFailure("provider", f"discovery names issuer {data.get('issuer')!r}, expected {issuer!r}")
    try:
        found = _Metadata(str(data["authorization_endpoint"]), str(data["token_endpoint"]), str(data["jwks_uri"]))
    except KeyError as exc:
        raise OidcFailure("provider", f"discovery lacks {exc}") from exc
    _metadata[issuer] = (time.monotonic() + CACHE_TTL, found)
    return found


async def _key_set(jwks_uri: str, *, refresh: bool = False) -> KeySet:
    cached = _keys.get(jwks_uri)
    if cached and cached[0] > time.monotonic() and not refresh:
        return cached[1]
    try:
        keys = KeySet.import_key_set(await _get_json(jwks_uri))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as exc:
        raise OidcFailure("provider", f"unreadable JWKS: {exc}") from exc
    _keys[jwks_uri] = (time.monotonic() + CACHE_TTL, keys)
    return keys


def _client(redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=_config.client_id,
        client_secret=_config.client_secret or None,
        # A public client (no secret) proves itself with PKCE alone.
        token_endpoint_auth_method="client_secret_basic" if _config.client_secret else "none",
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT,
    )


def new_login(redirect_uri: str) -> PendingLogin:
    """A fresh nonce and PKCE verifier for one sign-in."""
    return PendingLogin(nonce=generate_token(32), code_verifier=generate_token(64), redirect_uri=redirect_uri)


async def authorization_url(login: PendingLogin, state: str) -> str:
    """The provider's sign-in address for `login` under `state` (S256 code challenge, nonce, our redirect URI)."""
    if not configured():
        raise OidcFailure("not_configured")
    metadata = await _discover()
    async with _client(login.redirect_uri) as client:
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint, state=state, nonce=login.nonce, code_verifier=login.code_verifier
        )
    return str(url)


async def complete(code: str, pending: PendingLogin) -> VerifiedIdentity:
    """Exchange `code` (with the PKCE verifier) and verify the ID token it brings; raises OidcFailure."""
    if not configured():
        raise OidcFailure("not_configured")
    if not code:
        raise OidcFailure("exchange", "no code")
    metadata = await _discover()
    async with _client(pending.redirect_uri) as client:
        try:
            token = await client.fetch_token(
                metadata.token_endpoint, grant_type="authorization_code", code=code, code_verifier=pending.code_verifier
            )
        except OAuthError as exc:  # the provider refused the code: spent, expired, or not ours
            raise OidcFailure("exchange", f"{exc.error}: {exc.description}") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcFailure("provider", str(exc)) from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcFailure("token", "no id_token in the token response")
    return await verify_id_token(id_token, pending.nonce, jwks_uri=metadata.jwks_uri)


async def verify_id_token(id_token: str, nonce: str, *, jwks_uri: str = "") -> VerifiedIdentity:
    """The identity in a signed ID token issued by our issuer for our client id, unexpired, with our nonce."""
    jwks_uri = jwks_uri or (await _discover()).jwks_uri
    keys = await _key_set(jwks_uri)
    try:
        try:
            decoded = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        except (ValueError, JoseError):
            # An unknown key id may be a key the provider rotated in since we cached its set: fetch once more.
            keys = await _key_set(jwks_uri, refresh=True)
            decoded = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (ValueError, JoseError) as exc:
        raise OidcFailure("signature", str(exc)) from exc
    claims = decoded.claims
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY,
        iss={"essential": True, "value": _config.issuer},
        aud={"essential": True, "value": _config.client_id},
        exp={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise OidcFailure("expired", str(exc)) from exc
    except ClaimError as exc:
        reason = {"aud": "audience", "iss": "issuer", "nonce": "nonce"}.get(exc.claim, "claims")
        raise OidcFailure(reason, str(exc)) from exc
    # With several audiences, the party the token was issued to must be us (OIDC Core 3.1.3.7).
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != _config.client_id:
        raise OidcFailure("audience", f"azp {claims.get('azp')!r}")
    return VerifiedIdentity(
        subject=str(claims["sub"]),
        email=str(claims.get("email") or ""),
        # Only a JSON true counts: some providers omit the claim, and "true" as a string is not a promise.
        email_verified=claims.get("email_verified") is True,
        name=str(claims.get("name") or ""),
    )
