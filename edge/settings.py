"""The gate's configuration as one immutable object.

build.py validates the user's TOML (see gatebuild/config_file.py), resolves every endpoint and
writes the result into the zip as `edge/config.json`. At run time that resolved document is
turned back into these frozen objects once per process; it is trusted, so nothing is
re-validated on the request path.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass, field

PROVIDERS = ("cognito", "oidc")
LOGOUT_STYLES = ("cognito", "oidc", "none")
SAME_SITE_VALUES = ("Lax", "Strict", "None")
LOG_LEVELS = ("debug", "info", "warning", "error")
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    jwks: str
    revocation: str = ""
    logout: str = ""
    logout_style: str = "none"


@dataclass(frozen=True)
class Paths:
    callback: str = "/_gate/callback"
    sign_in: str = "/_gate/sign-in"
    sign_out: str = "/_gate/sign-out"
    signed_out: str = "/_gate/signed-out"
    whoami: str = "/_gate/me"
    public: tuple[str, ...] = ()
    case_sensitive: bool = True

    def gate_paths(self) -> tuple[str, ...]:
        return (self.callback, self.sign_in, self.sign_out, self.signed_out, self.whoami)


@dataclass(frozen=True)
class Rule:
    paths: tuple[str, ...]
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Tokens:
    algorithms: tuple[str, ...] = ("RS256",)
    leeway_seconds: int = 30
    groups_claim: str = "cognito:groups"
    refresh_window_seconds: int = 300
    store_access_token: bool = True
    require_nonce: bool = True


@dataclass(frozen=True)
class Cookies:
    prefix: str = "gate"
    domain: str = ""
    same_site: str = "Lax"
    secure: bool = True
    session_max_age_seconds: int = 30 * 24 * 3600
    login_max_age_seconds: int = 600


@dataclass(frozen=True)
class Config:
    provider: str
    issuer: str
    client_id: str
    endpoints: Endpoints
    state_secret: bytes = field(repr=False)
    client_secret: str = field(default="", repr=False)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    site_url: str = ""
    idp_timeout_seconds: float = 3.0
    paths: Paths = Paths()
    rules: tuple[Rule, ...] = ()
    tokens: Tokens = Tokens()
    cookies: Cookies = Cookies()
    log_level: str = "info"

    @property
    def checks_token_use(self) -> bool:
        return self.provider == "cognito"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["state_secret"] = base64.urlsafe_b64encode(self.state_secret).decode()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        data = dict(data)
        return cls(
            provider=data["provider"],
            issuer=data["issuer"],
            client_id=data["client_id"],
            client_secret=data.get("client_secret", ""),
            endpoints=Endpoints(**data["endpoints"]),
            state_secret=base64.urlsafe_b64decode(data["state_secret"]),
            scopes=tuple(data.get("scopes", ("openid",))),
            site_url=data.get("site_url", ""),
            idp_timeout_seconds=float(data.get("idp_timeout_seconds", 3.0)),
            paths=_paths_from(data.get("paths", {})),
            rules=tuple(
                Rule(paths=tuple(r["paths"]), groups=tuple(r["groups"]))
                for r in data.get("rules", ())
            ),
            tokens=_tokens_from(data.get("tokens", {})),
            cookies=Cookies(**data.get("cookies", {})),
            log_level=data.get("log_level", "info"),
        )


def _paths_from(data: dict) -> Paths:
    data = dict(data)
    data["public"] = tuple(data.get("public", ()))
    return Paths(**data)


def _tokens_from(data: dict) -> Tokens:
    data = dict(data)
    if "algorithms" in data:
        data["algorithms"] = tuple(data["algorithms"])
    return Tokens(**data)


CONFIG_FILE = os.path.join(os.path.dirname(__file__), "config.json")
JWKS_FILE = os.path.join(os.path.dirname(__file__), "jwks.json")


def load_embedded() -> tuple[Config, dict]:
    """The configuration and JWKS that build.py baked into the zip."""
    with open(CONFIG_FILE, "rb") as f:
        config = Config.from_dict(json.loads(f.read()))
    with open(JWKS_FILE, "rb") as f:
        jwks = json.loads(f.read())
    return config, jwks
