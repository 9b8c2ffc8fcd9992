"""The gate's configuration as one immutable object.

build.py validates the user's TOML (see gatebuild/config/), resolves every endpoint and
writes the result into the zip as Python literals in `edge/baked.py` (shipped as bytecode). At
run time that resolved document is turned back into these immutable objects once per process;
it is trusted, so nothing is re-validated on the request path.
"""

from __future__ import annotations

from collections import namedtuple

from .encoding import b64url_decode, b64url_encode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .typing_aliases import Json

PROVIDERS = ("cognito", "oidc", "auth0", "okta", "entra", "google", "keycloak")
SAME_SITE_VALUES = ("Lax", "Strict", "None")
LOG_LEVELS = ("debug", "info", "warning", "error")
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")

# Named tuples, not dataclasses: immutable all the same, and importing `dataclasses` (inspect,
# ast, ...) would cost several milliseconds of every cold start.
Endpoints = namedtuple(
    "Endpoints", "authorization token jwks revocation logout logout_style", defaults=("", "", "none")
)
# A rule is satisfied by ANY of its groups, roles, emails or email domains (edge/access.py).
Rule = namedtuple("Rule", "paths groups roles emails email_domains", defaults=((), (), ()))
# Who may enter at all (every protected path); all empty = anyone signed in.
Entry = namedtuple("Entry", "groups roles emails email_domains any_account", defaults=((), (), (), (), False))
Tokens = namedtuple(
    "Tokens",
    "algorithms leeway_seconds groups_claim refresh_window_seconds store_access_token require_nonce roles_claim",
    defaults=(("RS256",), 30, "cognito:groups", 300, True, True, ""),
)
# The gate's own pages: the site's name, a logo and colours (build.py checks every colour pair
# reaches WCAG AAA, 7:1). logo is "" or an https URL / same-site path; logo_src is the exact CSP
# source for it. button_text is derived from accent at build time.
Branding = namedtuple(
    "Branding",
    "name logo logo_src accent background text button_text",
    defaults=("", "", "", "#1e40af", "#ffffff", "#1b1b1b", "#ffffff"),
)
Cookies = namedtuple(
    "Cookies",
    "prefix domain same_site secure session_max_age_seconds login_max_age_seconds",
    defaults=("gate", "", "Lax", True, 30 * 24 * 3600, 600),
)


class Paths(
    namedtuple(
        "Paths",
        "callback sign_in sign_out signed_out whoami public case_sensitive refresh",
        defaults=(
            "/_gate/callback",
            "/_gate/sign-in",
            "/_gate/sign-out",
            "/_gate/signed-out",
            "/_gate/me",
            (),
            True,
            "/_gate/refresh",
        ),
    )
):
    __slots__ = ()

    def gate_paths(self) -> tuple[str, ...]:
        return (self.callback, self.sign_in, self.sign_out, self.signed_out, self.whoami, self.refresh)


# [[apis]]: paths the gate treats as the site's API (edge/api.py): bearer forwarding, JSON
# answers, CSRF checks. cors_origins: other origins allowed to call it with credentials.
# token_header: the header carrying "Bearer <token>" to the API (Authorization unless the origin
# needs that one itself, e.g. a Lambda function URL behind origin access control).
# bearer_audiences / bearer_scopes: what a client's own bearer token (accept_bearer) must be for:
# an `aud` among the audiences, or every scope in `scope`/`scp` (edge/api.py); neither = none pass.
Api = namedtuple(
    "Api",
    "paths identity_headers accept_bearer cors_origins token_header bearer_audiences bearer_scopes",
    defaults=(False, False, (), "Authorization", (), ()),
)


# [assets]: the site's built files. A page navigation to one of these paths is never sent to the
# app (edge/paths.py ClientRoutes): a missing asset stays the origin's 404, never HTML.
# signed_cookies: CloudFront checks the asset requests itself with signed cookies the gate sets
# (edge/cfsign.py; issue 23); key_id and private_key (RSA CRT parts, hex) are baked by the build.
class Assets(
    namedtuple("Assets", "paths signed_cookies key_id private_key", defaults=(("/assets/*",), False, "", None))
):
    __slots__ = ()

    def __repr__(self) -> str:  # never print the private key
        return f"Assets(paths={self.paths!r}, signed_cookies={self.signed_cookies!r}, key_id={self.key_id!r})"


class Config(
    namedtuple(
        "Config",
        [
            "provider",
            "issuer",
            "client_id",
            "endpoints",
            "state_secret",
            "client_secret",
            "scopes",
            "site_url",
            "idp_timeout_seconds",
            "paths",
            "rules",
            "tokens",
            "cookies",
            "log_level",
            "branding",
            "previous_state_secrets",
            "apis",
            "entry",
            "extra_authorize_params",
            "spa",
            "assets",
        ],
        defaults=(
            "",
            ("openid", "email", "profile"),
            "",
            3.0,
            Paths(),
            (),
            Tokens(),
            Cookies(),
            "info",
            Branding(),
            (),
            (),
            Entry(),
            (),
            True,
            Assets(),
        ),
    )
):
    __slots__ = ()

    def __repr__(self) -> str:  # never print the secrets
        return f"Config(provider={self.provider!r}, issuer={self.issuer!r}, client_id={self.client_id!r})"

    def to_dict(self) -> Json:
        data: Json = self._plain_dict()
        data["state_secret"] = b64url_encode(self.state_secret)
        if self.previous_state_secrets:
            data["previous_state_secrets"] = [b64url_encode(s) for s in self.previous_state_secrets]
        else:
            data.pop("previous_state_secrets", None)  # absent: zips built before rotation existed stay identical
        if not self.apis:
            data.pop("apis", None)
        if not self.assets.signed_cookies:  # off: the baked document as before issue 23
            data["assets"] = {"paths": data["assets"]["paths"]}
        for api in data.get("apis", ()):  # absent when unused: zips built before stay identical
            for key in ("bearer_audiences", "bearer_scopes"):
                if not api[key]:
                    del api[key]
        # absent when unused, for the same reason
        data["rules"] = [{k: v for k, v in rule.items() if v or k in ("paths", "groups")} for rule in data["rules"]]
        if self.entry == Entry():
            data.pop("entry", None)
        if not self.extra_authorize_params:
            data.pop("extra_authorize_params", None)
        return data

    @classmethod
    def from_dict(cls, data: Json) -> Config:
        assets = data.get("assets", {})
        return cls(
            provider=data["provider"],
            issuer=data["issuer"],
            client_id=data["client_id"],
            client_secret=data.get("client_secret", ""),
            endpoints=Endpoints(**data["endpoints"]),
            state_secret=b64url_decode(data["state_secret"]),
            scopes=tuple(data.get("scopes") or cls._field_defaults["scopes"]),
            site_url=data.get("site_url", ""),
            idp_timeout_seconds=float(data.get("idp_timeout_seconds", 3.0)),
            paths=Paths(**{**data.get("paths", {}), "public": tuple(data.get("paths", {}).get("public", ()))}),
            rules=tuple(Rule(**{k: tuple(v) for k, v in r.items()}) for r in data.get("rules", ())),
            tokens=Tokens(
                **{**data.get("tokens", {}), "algorithms": tuple(data.get("tokens", {}).get("algorithms", ("RS256",)))}
            ),
            cookies=Cookies(**data.get("cookies", {})),
            log_level=data.get("log_level", "info"),
            branding=Branding(**data.get("branding", {})),
            previous_state_secrets=tuple(b64url_decode(s) for s in data.get("previous_state_secrets", ())),
            apis=tuple(
                Api(
                    paths=tuple(a["paths"]),
                    identity_headers=bool(a.get("identity_headers", False)),
                    accept_bearer=bool(a.get("accept_bearer", False)),
                    cors_origins=tuple(a.get("cors_origins", ())),
                    token_header=a.get("token_header", "Authorization"),
                    bearer_audiences=tuple(a.get("bearer_audiences", ())),
                    bearer_scopes=tuple(a.get("bearer_scopes", ())),
                )
                for a in data.get("apis", ())
            ),
            entry=Entry(**{k: v if k == "any_account" else tuple(v) for k, v in data.get("entry", {}).items()}),
            extra_authorize_params=tuple((k, v) for k, v in data.get("extra_authorize_params", ())),
            spa=bool(data.get("spa", True)),
            assets=Assets(
                paths=tuple(assets.get("paths", Assets._field_defaults["paths"])),
                signed_cookies=bool(assets.get("signed_cookies", False)),
                key_id=assets.get("key_id", ""),
                private_key=assets.get("private_key"),
            ),
        )

    def _plain_dict(self) -> Json:
        return {k: _plain(v) for k, v in self._asdict().items()}

    @property
    def state_secrets(self) -> tuple[bytes, ...]:
        """The secrets login state is verified with, newest (the signing one) first."""
        return (self.state_secret, *self.previous_state_secrets)


def _plain(value: object) -> object:
    """Named tuples as dicts and tuples as lists, all the way down: the baked document's form."""
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def load_embedded() -> tuple[Config, Json]:
    """The configuration and JWKS that build.py baked into the zip (edge/baked.py, as bytecode)."""
    from . import baked  # type: ignore[attr-defined]  # written by build.py into the zip

    return Config.from_dict(baked.CONFIG), baked.JWKS
