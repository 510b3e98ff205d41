"""Who is calling: API keys from a file (plain or hashed) and JWT bearer tokens (PyJWT, public key or JWKS).

The caller's user_id comes from the credential only, never from a request body.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

KEYS_ENV = "RUNWIRE_SERVER_KEYS"
JWT_KEY_ENV = "RUNWIRE_SERVER_JWT_PUBLIC_KEY"
JWKS_ENV = "RUNWIRE_SERVER_JWKS_URL"
AUDIENCE_ENV = "RUNWIRE_SERVER_JWT_AUDIENCE"
ISSUER_ENV = "RUNWIRE_SERVER_JWT_ISSUER"
ALGORITHMS_ENV = "RUNWIRE_SERVER_JWT_ALGORITHMS"  # comma-separated; default RS256,ES256,EdDSA

HOW_TO_ADD_AUTH = (
    f"set {KEYS_ENV} to a file of 'user_id:key' lines (a key may be stored as 'sha256:<hex digest>'; "
    f"make one with `runwire server-key USER`), or {JWT_KEY_ENV} (a PEM public key or its path) / "
    f"{JWKS_ENV} (a JWKS URL) for JWT bearer tokens"
)


class Authenticator:
    """Turns a bearer token into a user_id, or None when the token is not valid for it."""

    def authenticate(self, token: str) -> Optional[str]:
        raise NotImplementedError


def hash_key(key: str) -> str:
    """The stored form of an API key: ``sha256:<hex digest>``."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class APIKeys(Authenticator):
    """API keys, each belonging to one user; stored plain or as ``sha256:<hex>``.

    Keys are compared by their SHA-256 digests with a constant-time comparison.
    """

    def __init__(self, keys: Union[dict[str, str], Iterable[tuple[str, str]]]) -> None:
        """``keys``: user_id -> key, or ``(user_id, key)`` pairs (a user may have several keys)."""
        self._digests: list[tuple[bytes, str]] = []
        for user_id, key in keys.items() if isinstance(keys, dict) else keys:
            if not user_id or not key:
                raise ValueError("an API key entry needs a user_id and a key")
            if key.startswith("sha256:"):
                try:
                    digest = bytes.fromhex(key[7:])
                except ValueError:
                    digest = b""
                if len(digest) != 32:
                    raise ValueError(f"the hashed key of {user_id!r} is not 'sha256:' and 64 hex digits")
            else:
                digest = hashlib.sha256(key.encode()).digest()
            self._digests.append((digest, user_id))

    @classmethod
    def from_file(cls, path: Union[str, Path]) -> "APIKeys":
        """Read ``user_id:key`` lines (blank lines and ``#`` comments are skipped)."""
        entries: list[tuple[str, str]] = []
        for number, raw in enumerate(Path(path).read_text().splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            user_id, sep, key = line.partition(":")
            if not sep or not user_id.strip() or not key.strip():
                raise ValueError(f"{path}:{number}: expected 'user_id:key' (or 'user_id:sha256:<hex>')")
            entries.append((user_id.strip(), key.strip()))
        return cls(entries)

    def authenticate(self, token: str) -> Optional[str]:
        presented = hashlib.sha256(token.encode()).digest()
        found = None
        for digest, user_id in self._digests:  # no early exit: every comparison costs the same
            if hmac.compare_digest(digest, presented):
                found = user_id
        return found


@dataclass
class JWTAuth(Authenticator):
    """JWT bearer tokens verified with PyJWT; ``sub`` is the user_id.

    Give ``public_key`` (PEM, for RS*/ES*/EdDSA, or a shared secret for HS*) or
    ``jwks_url`` (keys fetched and cached by ``jwt.PyJWKClient``).
    """

    public_key: Optional[str] = None
    jwks_url: Optional[str] = None
    algorithms: Sequence[str] = ("RS256", "ES256", "EdDSA")
    audience: Optional[str] = None
    issuer: Optional[str] = None
    leeway: float = 30.0
    _jwks: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.public_key and not self.jwks_url:
            raise ValueError("JWTAuth needs public_key= or jwks_url=")

    def authenticate(self, token: str) -> Optional[str]:
        import jwt

        if token.count(".") != 2:
            return None
        try:
            if self.jwks_url:
                if self._jwks is None:
                    self._jwks = jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=300)
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
            else:
                key = self.public_key
            claims = jwt.decode(
                token, key, algorithms=list(self.algorithms), audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options={"require": ["sub", "exp"], "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError:
            return None
        sub = claims.get("sub")
        return sub if isinstance(sub, str) and sub else None


class InsecureNoAuth(Authenticator):
    """Everyone is ``user_id`` (default "local"): loopback development only."""

    def __init__(self, user_id: str = "local") -> None:
        self.user_id = user_id

    def authenticate(self, token: str) -> Optional[str]:
        return self.user_id


@dataclass
class AuthConfig:
    """The ways in, tried in order. Empty: nothing is accepted (every request but /health gets 401)."""

    authenticators: list[Authenticator] = field(default_factory=list)

    @property
    def configured(self) -> bool:
        return bool(self.authenticators)

    @property
    def blocking(self) -> bool:
        """True when checking a token may wait on the network (a JWKS fetch): run it in a thread."""
        return any(isinstance(a, JWTAuth) and a.jwks_url for a in self.authenticators)

    @property
    def insecure(self) -> bool:
        return any(isinstance(a, InsecureNoAuth) for a in self.authenticators)

    def authenticate(self, authorization: Optional[str]) -> Optional[str]:
        for a in self.authenticators:
            if isinstance(a, InsecureNoAuth):
                return a.user_id
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        for a in self.authenticators:
            user_id = a.authenticate(token)
            if user_id:
                return user_id
        return None


def auth_from_env(environ: Optional[dict[str, str]] = None) -> AuthConfig:
    """API keys from ``RUNWIRE_SERVER_KEYS`` and JWT from ``RUNWIRE_SERVER_JWT_*`` / ``RUNWIRE_SERVER_JWKS_URL``."""
    env = os.environ if environ is None else environ
    found: list[Authenticator] = []
    if env.get(KEYS_ENV):
        found.append(APIKeys.from_file(env[KEYS_ENV]))
    key = env.get(JWT_KEY_ENV)
    if key and not key.lstrip().startswith("-----") and Path(key).is_file():
        key = Path(key).read_text()
    if key or env.get(JWKS_ENV):
        algorithms = tuple(a.strip() for a in env.get(ALGORITHMS_ENV, "").split(",") if a.strip())
        jwt_auth = JWTAuth(public_key=key or None, jwks_url=env.get(JWKS_ENV) or None,
                           audience=env.get(AUDIENCE_ENV) or None, issuer=env.get(ISSUER_ENV) or None)
        if algorithms:
            jwt_auth.algorithms = algorithms
        found.append(jwt_auth)
    return AuthConfig(found)


def as_auth_config(auth: Any) -> AuthConfig:
    """``auth=`` of create_app: None (from the environment), an AuthConfig, an Authenticator or a list of them."""
    if auth is None:
        return auth_from_env()
    if isinstance(auth, AuthConfig):
        return auth
    if isinstance(auth, Authenticator):
        return AuthConfig([auth])
    if isinstance(auth, (list, tuple)) and all(isinstance(a, Authenticator) for a in auth):
        return AuthConfig(list(auth))
    raise TypeError(f"auth must be None, an AuthConfig, an Authenticator or a list of them, got {auth!r}")
