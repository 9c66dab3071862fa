"""A real OpenID Connect provider for the tests, built from authlib's server parts, on 127.0.0.1.

It speaks real HTTP on a free port (stdlib ThreadingHTTPServer in a thread): discovery document,
authorization endpoint (auto-approves `provider.user`, as if they had clicked "Allow"), token
endpoint (client secret, PKCE S256 verifier, RS256 ID token with the nonce), JWKS and userinfo.
It also answers like GitHub (/login/oauth/..., /api/user, /api/user/emails) for the plain OAuth 2
path. Knobs for the unhappy paths: `user` (who signs in, email verified or not) and
`nonce_override` (an ID token carrying another nonce).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer, OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, OAuth2Request, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from joserfc.jwk import RSAKey

SCOPES = ["openid", "email", "profile", "read:user", "user:email"]


@dataclass
class ProviderUser:
    sub: str
    email: str
    email_verified: bool = True
    github_id: int = 4242


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")  # a confidential client

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class AuthCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: ProviderUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return None


class Payload(OAuth2Payload):
    def __init__(self, values: dict[str, list[str]]):
        self._values = values

    @property
    def data(self):
        return {k: v[0] for k, v in self._values.items()}

    @property
    def datalist(self):
        return defaultdict(list, self._values)


class Request(OAuth2Request):
    """An HTTP request as authlib's grants read it: query args, form body, headers."""

    def __init__(self, method, uri, headers, query, form):
        super().__init__(method, uri, headers=headers)
        self._args, self._form = query, form
        self.payload = Payload({**query, **form})

    @property
    def args(self):
        return {k: v[0] for k, v in self._args.items()}

    @property
    def form(self):
        return {k: v[0] for k, v in self._form.items()}


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        self.server.provider.codes[code] = AuthCode(
            code,
            request.client.client_id,
            data.get("redirect_uri"),
            request.scope,
            request.user,
            data.get("nonce"),
            data.get("code_challenge"),
            data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code, client):
        found = self.server.provider.codes.get(code)
        return found if found and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code):
        self.server.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class IDTokens(OpenIDCode):
    """Signs ID tokens with the provider's RSA key; can be told to put a wrong nonce in them."""

    def __init__(self, provider):
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce, request):
        return any(c.nonce == nonce for c in self.provider.codes.values())

    def resolve_client_private_key(self, client):
        return self.provider.key

    def get_client_claims(self, client):
        return {"iss": self.provider.issuer, "aud": [client.client_id]}

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": self.provider.key.kid}

    def generate_user_info(self, user, scope):
        return UserInfo(sub=user.sub, email=user.email, email_verified=user.email_verified)

    def get_authorization_code_claims(self, authorization_code):
        claims = super().get_authorization_code_claims(authorization_code)
        if self.provider.nonce_override is not None:
            claims["nonce"] = self.provider.nonce_override
        return claims


class Server(AuthorizationServer):
    def __init__(self, provider):
        super().__init__(scopes_supported=SCOPES)
        self.provider = provider
        self.register_token_generator("default", BearerTokenGenerator(lambda **_: generate_token(42)))
        self.register_grant(CodeGrant, [CodeChallenge(required=True), IDTokens(provider)])

    def query_client(self, client_id):
        client = self.provider.client
        return client if client_id == client.client_id else None

    def save_token(self, token, request):
        self.provider.tokens[token["access_token"]] = request.user

    def create_oauth2_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, headers

    def send_signal(self, name, *args, **kwargs):
        pass


class OIDCProvider:
    def __init__(self, client_id: str, client_secret: str, redirect_uris: list[str], user: ProviderUser):
        self.client = Client(client_id, client_secret, redirect_uris)
        self.user = user
        self.nonce_override: str | None = None
        self.key = RSAKey.generate_key(2048, parameters={"kid": generate_token(8), "use": "sig", "alg": "RS256"})
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, ProviderUser] = {}
        self.server = Server(self)
        self.token_requests: list[dict] = []  # form fields the token endpoint received
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.provider = self
        self.issuer = f"http://127.0.0.1:{self._http.server_address[1]}"

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": SCOPES,
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def route(self, method: str, path: str, query: dict, form: dict, headers) -> tuple[int, object, list]:
        uri = self.issuer + path
        if method == "GET" and path in ("/authorize", "/login/oauth/authorize"):
            request = Request("GET", uri, headers, query, {})
            try:
                grant = self.server.get_consent_grant(request, end_user=self.user)
            except OAuth2Error as error:
                return self.server.handle_error_response(request, error)
            return self.server.create_authorization_response(request, grant_user=self.user, grant=grant)
        if method == "POST" and path in ("/token", "/login/oauth/access_token"):
            self.token_requests.append({k: v[0] for k, v in form.items()})
            return self.server.create_token_response(Request("POST", uri, headers, query, form))
        if method == "GET" and path == "/.well-known/openid-configuration":
            return 200, self.metadata(), []
        if method == "GET" and path == "/jwks":
            return 200, {"keys": [self.key.as_dict(private=False)]}, []
        user = self.tokens.get((headers.get("Authorization") or "").removeprefix("Bearer ").strip())
        if method == "GET" and path in ("/userinfo", "/api/user", "/api/user/emails"):
            if user is None:
                return 401, {"error": "invalid_token"}, []
            if path == "/userinfo":
                return 200, {"sub": user.sub, "email": user.email, "email_verified": user.email_verified}, []
            if path == "/api/user":
                return 200, {"id": user.github_id, "login": user.sub}, []
            return 200, [{"email": user.email, "primary": True, "verified": user.email_verified}], []
        return 404, {"error": "not_found"}, []

    @contextmanager
    def running(self):
        thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), name="oidc-provider", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._http.shutdown()
            self._http.server_close()
            thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        status, body, headers = self.server.provider.route(
            self.command, url.path, parse_qs(url.query), form, self.headers
        )
        payload = body if isinstance(body, str) else json.dumps(body)
        self.send_response(status)
        for name, value in headers:
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload.encode())))
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args):  # quiet: pytest shows failures, not every request
        pass
