"""A real OpenID Connect provider on 127.0.0.1 (oidc-provider-mock, in a thread), and a user's part in it.

The mock accepts any client id and secret (tokens are issued to whichever client id asks), signs ID tokens
with RS256 under its own key, puts the authorization request's nonce in them and names
http://127.0.0.1:<port> as its issuer. Who signs in is chosen by posting `sub` to its authorization form;
that user's claims (email, email_verified, name) are set beforehand with PUT /users/<sub>.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import werkzeug.serving


@dataclass(frozen=True)
class OidcProvider:
    url: str  # also the issuer

    def set_user(self, sub: str, **claims: object) -> None:
        """The claims the provider will assert for `sub` (scope email: email, email_verified; profile: name)."""
        response = httpx.put(f"{self.url}/users/{sub}", json=claims)
        assert response.status_code == 204, response.text

    def approve(self, authorization_url: str, sub: str) -> str:
        """The user `sub` signs in at the provider: the callback URL (with code and state) it redirects to."""
        response = httpx.post(authorization_url, data={"sub": sub})
        assert response.status_code == 302, response.text
        return response.headers["location"]

    def token_for(self, client_id: str, sub: str, *, nonce: str, redirect_uri: str) -> dict[str, object]:
        """A token response (with an ID token) the provider issues to `client_id`: for another client's token."""
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": "x",
            "nonce": nonce,
        }
        location = self.approve(str(httpx.URL(f"{self.url}/oauth2/authorize", params=query)), sub)
        code = parse_qs(urlsplit(location).query)["code"][0]
        response = httpx.post(
            f"{self.url}/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            auth=(client_id, "any-secret"),
        )
        assert response.status_code == 200, response.text
        return response.json()


@contextmanager
def start_provider() -> Iterator[OidcProvider]:
    """The provider listening on 127.0.0.1 on a free port, until the context ends."""
    import authlib.deprecate  # noqa: F401 (its "always" filter goes in first, so the "ignore" below wins)

    with warnings.catch_warnings():
        # The mock still imports authlib.jose, which authlib marks deprecated: not ours to change.
        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock

    # run_server_in_thread binds "localhost" (which may resolve to ::1 first): the same app, bound to 127.0.0.1.
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield OidcProvider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
