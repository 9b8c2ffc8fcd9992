"""Every reason code the gate can emit, read from edge/ by its syntax (an independent reading of
the code, not a list kept by hand): where a reason is written in edge/ today.

- the `reason` attribute of an error class, and the first argument of a call to a class whose
  name says it is an error (`TokenInvalid("bad_kid")`, `BadRequest("bad_path")`, ...);
- the reason argument of `Outcome.forward`/`Outcome.respond` (third) and of the helpers that pass
  one on (`login`, `_signed_out`, `unauthenticated`): any string literal argument of theirs that
  looks like a code;
- `reason = "..."` / `reason="..."` and `"reason": "..."` and `X-Gate-Reason` header values;
- the second argument of `Session(...)` (why there is no session);
- what `access.unmet`, `api.same_origin_refusal` and `idp.revoke` return.

f-strings are families: `f"id_token_{exc.reason}"` is `id_token_` + a token check (every
TokenInvalid/TokenExpired code), `refreshed_` the same, `refresh_` + a LoginFailed code of the
refresh path; `idp_bad_` + a token name. The IdP chooses the rest (`idp_error_<its code>`,
`idp_<its OAuth error>`, `idp_http_<status>`, `revoke_http_<status>`): OPEN_FAMILIES.
"""

from __future__ import annotations

import ast
import os
import re

from tests.conftest import ROOT

CODE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$|^[a-z]+$")
ERROR_CLASS = re.compile(r"(Error|Invalid|Expired|Failed|Request|Unavailable|Timeout|Signature)$")
# functions whose return value is a reason code: a denial (`access.unmet`), a refused API call
# (`api.same_origin_refusal`), the sign-out line (`idp.revoke`)
RETURNS_REASON = {"unmet", "same_origin_refusal", "revoke"}
REASON_CALLS = {"forward", "respond", "login", "_signed_out", "unauthenticated"}
SECOND_ARG = {"Session"}  # Session(claims, reason, ...)
NOT_REASONS = {
    "allow",
    "deny",
    "error",
    "login",
    "login_complete",
    "refreshed",
    "refresh_failed",
    "sign_out",
    "signed_out_decision",
    "preflight",
}  # decisions (the line's `decision`), not reasons


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _fstring_prefix(node: ast.AST) -> str | None:
    if isinstance(node, ast.JoinedStr) and node.values and _literal(node.values[0]):
        return _literal(node.values[0])
    return None


def scan() -> tuple[set[str], set[str]]:
    """(literal reason codes, f-string family prefixes) found in edge/."""
    codes: set[str] = set()
    prefixes: set[str] = set()
    edge = os.path.join(ROOT, "edge")
    for name in sorted(os.listdir(edge)):
        if not name.endswith(".py") or name == "baked.py":
            continue
        with open(os.path.join(edge, name), encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        candidates: list[ast.AST] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if ERROR_CLASS.search(fname) and node.args:
                    candidates.append(node.args[0])
                if fname in SECOND_ARG and len(node.args) >= 2:
                    candidates.append(node.args[1])
                if fname in ("forward", "respond") and len(node.args) >= 3:
                    candidates.append(node.args[2])
                elif fname in REASON_CALLS:
                    candidates.extend(node.args)
                if fname == "header" and len(node.args) == 2 and _literal(node.args[0]) == "X-Gate-Reason":
                    candidates.append(node.args[1])
                candidates.extend(k.value for k in node.keywords if k.arg == "reason")
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == "reason" for t in targets) and node.value:
                    candidates.append(node.value)
                if any(
                    isinstance(t, ast.Tuple) and any(isinstance(e, ast.Name) and e.id == "reason" for e in t.elts)
                    for t in targets
                ) and isinstance(node.value, ast.Tuple):
                    names = [e.id if isinstance(e, ast.Name) else "" for e in targets[0].elts]  # type: ignore[attr-defined]
                    candidates.append(node.value.elts[names.index("reason")])
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if key is not None and _literal(key) == "reason":
                        candidates.append(value)
            elif isinstance(node, ast.FunctionDef) and node.name in RETURNS_REASON:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Return) and sub.value is not None:
                        candidates.extend(ast.walk(sub.value))
        for cand in candidates:
            for sub in ast.walk(cand) if isinstance(cand, ast.IfExp | ast.BoolOp | ast.Tuple) else [cand]:
                text = _literal(sub)
                if text and CODE.match(text) and text not in NOT_REASONS:
                    codes.add(text)
                prefix = _fstring_prefix(sub)
                if prefix:
                    prefixes.add(prefix)
    return codes, prefixes
