"""The router: which part of the gate answers a viewer request, and errors turned into answers.

`Gate.handle` returns an Outcome: the CloudFront request to pass on (possibly rewritten) or a
generated response, plus what to log. Every decision is made from the request, the
configuration and one clock; the only I/O is the IdP client (token endpoint, revocation, JWKS),
and each request gives it one deadline well inside the 5 s viewer-request limit.
See docs/architecture.md for the modules and where a new feature goes.
"""

from __future__ import annotations

import time

from . import responses
from .access import AccessPolicy, first_unmet
from .cookies import strip_gate_cookies
from .errors import GateError
from .identity_headers import strip_identity_headers
from .idp import Deadline, IdpClient
from .jwks import KeyStore
from .outcome import Outcome
from .paths import GATE_PATHS_PATTERN, ROOT_OBJECT, ClientRoutes, normalise
from .protected import ProtectedPaths
from .provider import provider_for
from .request import ViewerRequest
from .session import SessionStore
from .settings import Config
from .verifier import TokenVerifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .endpoints import GateEndpoints
    from .login import LoginFlow
    from .refresh import Refresher
    from .signing import Signer
    from .typing_aliases import CfRequest, Json

REQUEST_BUDGET_SECONDS = 4.3  # every answer well inside the 5 s viewer-request limit
# The gate's own endpoints: each is a settings.Paths field and the GateEndpoints method of that name.
ENDPOINTS = ("callback", "sign_in", "sign_out", "signed_out", "whoami", "refresh")


class Gate:
    def __init__(
        self, config: Config, jwks: Json, idp: IdpClient | None = None, clock: Callable[[], float] | None = None
    ):
        self.config = config
        responses.set_branding(config.branding)
        self.clock = clock or (lambda: time.time())  # looked up per call: tests may freeze time
        self.idp = idp or IdpClient(config)
        self.provider = provider_for(config)
        self.keys = KeyStore(jwks, config.tokens.algorithms, fetch_jwks=self._fetch_jwks)
        self.verifier = TokenVerifier(config, self.keys, self.provider.checks_token_use)
        self.store = SessionStore(config, self.verifier)
        self.access = AccessPolicy(config.paths, config.rules, config.entry)
        if self.store.signs_assets and self.access.entry is not None:
            entry = self.access.entry
            self.store.may_see_assets = lambda claims: first_unmet(self.provider.person(claims), [entry]) is None
        # Built on first use (cold start at the edge's CPU share, issue 22): a request with a valid
        # session imports neither the login and refresh flows nor the endpoints.
        self._login: LoginFlow | None = None
        self._refresher: Refresher | None = None
        self._endpoints: GateEndpoints | None = None
        self.client_routes = client_routes(config)
        # a public client route gets the app only when the app is public too: anyone could fetch it anyway
        self._index_is_public = self.access.public_uri(normalise(ROOT_OBJECT), ROOT_OBJECT) is not None
        self.protected = ProtectedPaths(
            config, self.access, self.provider, self.store, self, self._error, self.client_routes
        )
        self._endpoint_at = {getattr(config.paths, name): name for name in ENDPOINTS}
        self._gate_paths = frozenset(self._endpoint_at)

    @property
    def login(self) -> LoginFlow:
        if self._login is None:
            from .login import LoginFlow

            self._login = LoginFlow(self.config, self.idp, self.verifier, self.store, self.clock)
        return self._login

    @property
    def refresher(self) -> Refresher:
        if self._refresher is None:
            from .refresh import Refresher

            self._refresher = Refresher(self.idp, self.verifier, self.store, self.clock)
        return self._refresher

    @property
    def endpoints(self) -> GateEndpoints:
        if self._endpoints is None:
            from .endpoints import GateEndpoints

            self._endpoints = GateEndpoints(
                self.config, self.provider, self.store, self.login, self.refresher, self.protected, self.idp
            )
        return self._endpoints

    @property
    def state_signer(self) -> Signer:  # for tests that forge states
        return self.login.signer

    def _fetch_jwks(self, deadline: Deadline | None) -> Json:
        return self.idp.fetch_jwks(deadline or Deadline(REQUEST_BUDGET_SECONDS))

    def handle(self, cf_request: CfRequest, now: float | None = None) -> Outcome:
        now = self.clock() if now is None else now
        deadline = Deadline(REQUEST_BUDGET_SECONDS)
        request = None
        try:
            request = ViewerRequest(cf_request)
            strip_identity_headers(cf_request["headers"])  # X-Gate-Sub/-Groups come only from the gate
            endpoint = self._endpoint_at.get(request.path.exact)
            if endpoint is not None:
                route: Callable[[ViewerRequest, float, Deadline], Outcome] = getattr(self.endpoints, endpoint)
                return route(request, now, deadline)
            public_uri = self.access.public_uri(request.path, cf_request["uri"])
            if public_uri is not None:
                if self._index_is_public and self.client_routes.enabled:
                    public_uri = self.client_routes.index_for_request(request) or public_uri
                if public_uri != cf_request["uri"]:
                    cf_request["uri"] = public_uri  # the root, or a client route, as the index object
                strip_gate_cookies(cf_request["headers"], self.store.names.all_prefix)
                return Outcome.forward(cf_request, "allow", "public_path")
            return self.protected.handle(request, now, deadline)
        except GateError as exc:
            return self._error(exc, request)

    def _error(self, exc: GateError, request: ViewerRequest | None) -> Outcome:
        from . import answers

        return_path = "/"
        if request is not None and request.path.exact == self.config.paths.callback:
            try:
                return_path = self.login.return_path_of(request.param("state"))
            except GateError:
                pass
        return answers.error(exc, request, self.config.paths, self._gate_paths, return_path)


def client_routes(config: Config) -> ClientRoutes:
    """[site] spa as a ClientRoutes: never the API's paths, the assets or the gate's own paths."""
    excluded = (
        GATE_PATHS_PATTERN,
        *config.paths.gate_paths(),
        *config.assets.paths,
        *(pattern for api in config.apis for pattern in api.paths),
    )
    return ClientRoutes(config.spa, excluded, config.paths.case_sensitive)
