"""Lambda@Edge entry point (viewer request): `edge.handler.handler`.

Configuration and JWKS are baked into the zip by build.py; they are read once per process on
the first request. Nothing is fetched at import or cold start. The handler never raises: an
unexpected error becomes a 502 page and an `internal_error` log line, and a request is never
let through because of an error.
"""

from __future__ import annotations

import gc
import time

from . import responses

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .gate import Gate
    from .log import DecisionLog
    from .typing_aliases import CfResponse, Json

_gate: Gate | None = None
_log: DecisionLog | None = None


def _load() -> Gate:
    global _gate, _log
    from .gate import Gate
    from .log import DecisionLog
    from .settings import load_embedded

    config, jwks = load_embedded()
    _log = DecisionLog(config.log_level, config.state_secret)
    _gate = Gate(config, jwks)
    return _gate


def handler(event: Json, context: object = None) -> Json:
    if _gate is not None:
        return _handle(event)
    # The cold start: imports, the configuration, the first answer. It allocates thousands of
    # long-lived objects (modules, classes, functions) and next to no garbage, and the cyclic
    # garbage collector spent ~15 % of its CPU re-scanning them (~8 ms of ~80 ms on the callback
    # path: ~110 ms of waiting at the edge's 7.2 % CPU share; docs/performance.md). So it runs
    # without the collector, and what it loaded is then frozen out of every later collection.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _handle(event)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _handle(event: Json) -> Json:
    started = time.perf_counter()
    path = "?"
    try:
        gate = _gate or _load()
        cf_request = event["Records"][0]["cf"]["request"]
        uri = cf_request.get("uri")
        path = uri if isinstance(uri, str) else "?"
        outcome = gate.handle(cf_request)
        result, decision, reason, sub, status = (
            outcome.result,
            outcome.decision,
            outcome.reason,
            outcome.sub,
            outcome.status,
        )
        if status is not None and responses.size_of(result) > responses.MAX_RESPONSE_BYTES:
            result, decision, reason, sub, status = _internal_error(), "error", "response_too_large", None, 502
    except Exception as exc:  # the one place that catches everything: never raise to CloudFront
        result, decision, reason, sub, status = _internal_error(), "error", "internal_error", None, 502
        _log_internal(path, exc, started)
        return result
    if _log is not None:
        try:
            _log.decision(
                path=path,
                decision=decision,
                reason=reason,
                status=status,
                sub=sub,
                duration_ms=(time.perf_counter() - started) * 1000,
            )
        except Exception:  # a log line must never turn an answer into a crash
            pass
    return result


def _internal_error() -> CfResponse:
    return responses.html_page(
        502,
        "Something went wrong",
        "<p>The sign-in gate hit an unexpected error. Try again in a moment.</p>"
        '<p><a class="button" href="/">Go to the home page</a></p>',
    )


def _log_internal(path: str, exc: Exception, started: float) -> None:
    try:
        detail = type(exc).__name__  # the type only: a message could quote a token
        if _log is not None:
            _log.decision(
                path=path,
                decision="error",
                reason="internal_error",
                status=502,
                sub=None,
                duration_ms=(time.perf_counter() - started) * 1000,
                detail=detail,
            )
        else:
            print(f'{{"level":"error","reason":"internal_error","detail":"{detail}"}}')
    except Exception:
        pass
