"""The CloudFront distribution of cloudformation.yaml, read the way CloudFront would run it.

The local emulator (local/emulator.py) routes every request by what this module reads from the
template, with the parameters the deploy would pass (gatebuild/deploy/stack.py's
`stack_parameters`, not a copy of it): the cache behaviors in CloudFront's order, the methods
each allows, which run the gate on the viewer request (and whether with the body), which
disable caching, the origins, the custom error responses, the default root object, the
response headers policy of each behavior, and whether the site bucket's policy lets the
origin access control list the bucket. A change to the template changes what every local and
end-to-end test sees. Whatever this module cannot read or does not model, it refuses with one
line per problem (`DistributionError`), all at once: the emulator then does not start.

The rules modelled, each from CloudFront's documentation:

- Behaviors are matched in the order they are listed, the default behavior (`*`) last; the
  first whose path pattern matches the request's path wins. A leading "/" in a pattern makes no
  difference. Patterns are case-sensitive; `*` matches 0 or more characters (slashes too) and
  `?` exactly one. The path is the viewer's, without the query string.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern
  https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CacheBehavior.html (PathPattern)
- A viewer-request function that changes the URI does not change the behavior or the origin:
  the behavior is chosen once, from the viewer's request ("uri" in
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html).
- A method a behavior does not allow gets CloudFront's own 403 ("This distribution is not
  configured to allow the HTTP request method that was used for this request."), before any
  function runs. https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-invalid-method.html
- Custom error responses belong to the distribution, not to a behavior: one for 404 answers
  every origin's 404 (the API's too).
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/GeneratingCustomErrorResponses.html
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudfront-distribution-customerrorresponse.html
- The default root object answers a viewer's request for the root URL only, never a
  subdirectory. https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DefaultRootObject.html
  https://repost.aws/knowledge-center/cloudfront-default-root-object-subdirectory
- S3's REST API through origin access control answers a missing key with 404 NoSuchKey when the
  caller may s3:ListBucket, else 403 AccessDenied (GetObject, "Permissions"):
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html ; with ListBucket a GET of
  the bucket root is ListObjectsV2 (FIELD-NOTES: "S3 bucket root").
- Managed cache and origin request policies, by id:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
- The response headers policy's security headers (and Override: a header from the origin is
  replaced only when Override is true):
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html
  Strict-Transport-Security is `max-age=N`, then `; includeSubDomains` and `; preload` when set.

Intrinsic functions evaluated: Ref (parameters, pseudo parameters, AWS::NoValue, resources as a
reference), Fn::If and the conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition),
Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::GetAtt (as a reference). Anything else is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatebuild.cf_paths import path_matches, pattern_regex  # noqa: F401 (re-exported for tests)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "cloudformation.yaml"

# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
MANAGED_CACHE_POLICIES = {
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": ("Managed-CachingDisabled", (0, 0, 0)),
    "658327ea-f89d-4fab-a63d-7e88639e58f6": ("Managed-CachingOptimized", (1, 86400, 31536000)),
}
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
MANAGED_ORIGIN_REQUEST_POLICIES = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": ("Managed-AllViewer", True),  # every viewer header, Host too
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": ("Managed-AllViewerExceptHostHeader", False),
}
PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "local",
    "AWS::URLSuffix": "amazonaws.com",
}
NO_VALUE = object()
# The only function the emulator runs: the gate's zip, as the template's AWS::Lambda::Version.
GATE_VERSION_TYPES = ("AWS::Lambda::Version",)


class DistributionError(ValueError):
    """What the emulator cannot read or does not model: every problem, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Ref:
    """!Ref or !GetAtt of a resource: kept as a reference (CloudFormation fills it in)."""

    logical_id: str
    attribute: str = ""

    def __str__(self) -> str:
        return f"{self.logical_id}.{self.attribute}" if self.attribute else self.logical_id


@dataclass(frozen=True)
class Origin:
    id: str
    kind: str  # "s3" (REST endpoint through origin access control) or "custom"
    domain_name: str
    bucket: str = ""  # s3: the bucket's logical id
    list_bucket: bool = False  # s3: the OAC principal may s3:ListBucket (404 for a missing key, not 403)


@dataclass(frozen=True)
class Behavior:
    path_pattern: str  # "*" for the default behavior
    target_origin_id: str
    allowed_methods: tuple[str, ...]
    cached_methods: tuple[str, ...]
    gate: bool  # the gate runs on the viewer request
    include_body: bool
    caching_disabled: bool
    cache_policy: str
    forwards_host: bool | None  # custom origins: the origin request policy forwards Host (None: no policy)
    response_headers: tuple[tuple[str, str, bool], ...]  # (name, value, override)
    trusted_key_groups: tuple[str, ...] = ()
    trusted_keys: tuple = ()  # local/signed_cookies.PublicKey of the trusted key groups
    label: str = ""

    def matches(self, path: str) -> bool:
        return path_matches(self.path_pattern, path)


@dataclass(frozen=True)
class ErrorResponse:
    error_code: int
    response_code: int | None
    page_path: str
    min_ttl: int


@dataclass(frozen=True)
class DistributionConfig:
    behaviors: tuple[Behavior, ...]  # CloudFront's order, the default last
    origins: dict[str, Origin]
    error_responses: dict[int, ErrorResponse]
    default_root_object: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def behavior_for(self, path: str) -> Behavior:
        """The first behavior whose pattern matches the viewer's path; the default otherwise."""
        for behavior in self.behaviors:
            if behavior.matches(path):
                return behavior
        return self.behaviors[-1]

    def origin_of(self, behavior: Behavior) -> Origin:
        return self.origins[behavior.target_origin_id]

    def describe(self) -> list[str]:
        lines = []
        for b in self.behaviors:
            origin = self.origins[b.target_origin_id]
            lines.append(
                f"{b.path_pattern:<14} -> {origin.id} ({origin.kind}); {','.join(b.allowed_methods)}"
                f"{'; gate' if b.gate else ''}{'; no caching' if b.caching_disabled else ''}"
            )
        for e in self.error_responses.values():
            lines.append(f"error {e.error_code} -> {e.page_path or '(no page)'} ({e.response_code or e.error_code})")
        return lines


# --------------------------------------------------------------------------------------------
# Path patterns
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The template and its intrinsic functions
# --------------------------------------------------------------------------------------------


def load(path: str | Path = TEMPLATE) -> dict:
    from gatebuild.lambda_edge_rules import load_template

    return load_template(str(path))


class Evaluator:
    def __init__(self, template: dict, parameters: dict[str, Any]):
        self.template = template
        self.parameters = parameters
        self.resources = template.get("Resources") or {}
        self.conditions_src = template.get("Conditions") or {}
        self._conditions: dict[str, bool] = {}
        self.problems: list[str] = []

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            if name not in self.conditions_src:
                raise _Unreadable(f"Condition {name} is not in the template")
            self._conditions[name] = bool(self.value(self.conditions_src[name], f"Conditions.{name}"))
        return self._conditions[name]

    def value(self, node: Any, where: str) -> Any:
        if isinstance(node, list):
            out = [self.value(item, f"{where}[{i}]") for i, item in enumerate(node)]
            return [item for item in out if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                return self.function(key, arg, where)
        out = {}
        for key, item in node.items():
            evaluated = self.value(item, f"{where}.{key}")
            if evaluated is not NO_VALUE:
                out[key] = evaluated
        return out

    def function(self, name: str, arg: Any, where: str) -> Any:
        if name == "Ref":
            if arg == "AWS::NoValue":
                return NO_VALUE
            if arg in PSEUDO:
                return PSEUDO[arg]
            if arg in self.parameters:
                return self.parameters[arg]
            if arg in self.resources:
                return Ref(arg)
            raise _Unreadable(f"{where}: !Ref {arg} is neither a parameter nor a resource")
        if name == "Condition":
            return self.condition(arg)
        if name == "Fn::If":
            cond, yes, no = arg
            return self.value(yes if self.condition(cond) else no, where)
        if name == "Fn::Equals":
            left, right = (self.value(a, where) for a in arg)
            return str(left) == str(right)
        if name == "Fn::Not":
            return not self.value(arg[0], where)
        if name == "Fn::And":
            return all(self.value(a, where) for a in arg)
        if name == "Fn::Or":
            return any(self.value(a, where) for a in arg)
        if name == "Fn::Join":
            sep, items = arg
            items = self.value(items, where)
            return sep.join(str(i) for i in (items if isinstance(items, list) else [items]))
        if name == "Fn::Select":
            index, items = arg
            items = self.value(items, where)
            return items[int(self.value(index, where))]
        if name == "Fn::Split":
            sep, text = arg
            return str(self.value(text, where)).split(sep)
        if name == "Fn::GetAtt":
            target = arg if isinstance(arg, list) else str(arg).split(".", 1)
            if target[0] not in self.resources:
                raise _Unreadable(f"{where}: !GetAtt {'.'.join(target)}: no such resource")
            return Ref(target[0], target[1])
        if name == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.value(arg[1], where))

            def sub(match: re.Match[str]) -> str:
                key = match.group(1)
                if key.startswith("!"):
                    return "${" + key[1:] + "}"
                if key in extra:
                    return str(extra[key])
                if "." in key:
                    return str(self.function("Fn::GetAtt", key, where))
                return str(self.function("Ref", key, where))

            return re.sub(r"\$\{([^}]+)\}", sub, text)
        raise _Unreadable(f"{where}: the emulator does not evaluate {name}")


class _Unreadable(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Parameters: the deploy's own builder, then the template's defaults and constraints
# --------------------------------------------------------------------------------------------


def deploy_parameters(template: dict, given: list[dict]) -> tuple[dict[str, Any], list[str]]:
    """Every parameter's value as CloudFormation would have it: what the deploy passes (the
    ParameterKey/ParameterValue list of gatebuild/deploy/stack.py's stack_parameters), else the
    template's Default; checked against AllowedValues/AllowedPattern/MinLength/MaxLength as
    CloudFormation checks them. CommaDelimitedList becomes a list."""
    declared = template.get("Parameters") or {}
    values = {p["ParameterKey"]: p["ParameterValue"] for p in given}
    out: dict[str, Any] = {}
    problems = []
    for name, spec in declared.items():
        if name in values:
            raw = str(values[name])
        elif "Default" in spec:
            raw = str(spec["Default"])
        else:
            problems.append(f"Parameters.{name}: no value (the deploy passes none and the template has no Default)")
            continue
        kind = spec.get("Type", "String")
        items = [s.strip() for s in raw.split(",")] if kind == "CommaDelimitedList" else [raw]
        for item in items if kind == "CommaDelimitedList" else [raw]:
            allowed = spec.get("AllowedValues")
            if allowed is not None and item not in [str(a) for a in allowed]:
                problems.append(f"Parameters.{name}: {item!r} is not one of {allowed}")
            pattern = spec.get("AllowedPattern")
            if pattern is not None and kind != "CommaDelimitedList" and not re.fullmatch(pattern, item):
                problems.append(f"Parameters.{name}: {item!r} does not match {pattern}")
        if "MinLength" in spec and len(raw) < int(spec["MinLength"]):
            problems.append(f"Parameters.{name}: shorter than {spec['MinLength']}")
        if "MaxLength" in spec and len(raw) > int(spec["MaxLength"]):
            problems.append(f"Parameters.{name}: longer than {spec['MaxLength']}")
        out[name] = items if kind == "CommaDelimitedList" else raw
    unknown = sorted(set(values) - set(declared))
    problems += [f"Parameters.{name}: passed by the deploy but not declared in the template" for name in unknown]
    return out, problems


# --------------------------------------------------------------------------------------------
# Reading the distribution
# --------------------------------------------------------------------------------------------


def read(template: dict, given: list[dict]) -> DistributionConfig:
    """The template's one AWS::CloudFront::Distribution, evaluated with the deploy's parameters."""
    parameters, problems = deploy_parameters(template, given)
    if problems:
        raise DistributionError(problems)
    ev = Evaluator(template, parameters)
    distributions = [
        name
        for name, resource in (template.get("Resources") or {}).items()
        if isinstance(resource, dict) and resource.get("Type") == "AWS::CloudFront::Distribution"
    ]
    if len(distributions) != 1:
        raise DistributionError(
            [f"the template has {len(distributions)} CloudFront distributions; the emulator runs one"]
        )
    name = distributions[0]
    where = f"Resources.{name}.Properties.DistributionConfig"
    try:
        config = ev.value(template["Resources"][name]["Properties"]["DistributionConfig"], where)
    except _Unreadable as exc:
        raise DistributionError([str(exc)]) from None
    reader = _Reader(ev, config, where)
    result = reader.read()
    if reader.problems:
        raise DistributionError(reader.problems)
    return result


class _Reader:
    """Reads an evaluated DistributionConfig; collects every problem before giving up."""

    def __init__(self, ev: Evaluator, config: dict, where: str):
        self.ev = ev
        self.config = config
        self.where = where
        self.problems: list[str] = []

    def refuse(self, message: str) -> None:
        self.problems.append(message)

    def read(self) -> DistributionConfig:
        c = self.config
        for key in ("OriginGroups", "DefaultCacheBehavior", "Origins"):
            if key == "OriginGroups" and c.get(key):
                self.refuse(f"{self.where}.OriginGroups: origin groups (failover) are not modelled")
        for key in ("WebACLId", "ContinuousDeploymentPolicyId", "Staging"):
            if c.get(key):
                self.refuse(f"{self.where}.{key}: not modelled by the emulator")
        origins = {}
        for index, raw in enumerate(c.get("Origins") or []):
            origin = self.origin(raw, f"{self.where}.Origins[{index}]")
            if origin is not None:
                origins[origin.id] = origin
        behaviors = []
        for index, raw in enumerate(c.get("CacheBehaviors") or []):
            behaviors.append(self.behavior(raw, f"{self.where}.CacheBehaviors[{index}]", raw.get("PathPattern")))
        default = c.get("DefaultCacheBehavior")
        if not isinstance(default, dict):
            self.refuse(f"{self.where}.DefaultCacheBehavior: missing")
        else:
            behaviors.append(self.behavior(default, f"{self.where}.DefaultCacheBehavior", "*"))
        for b in behaviors:
            if b is not None and b.target_origin_id not in origins:
                self.refuse(f"{b.label}.TargetOriginId: {b.target_origin_id!r} is not one of the origins")
        errors = {}
        for index, raw in enumerate(c.get("CustomErrorResponses") or []):
            error = self.error_response(raw, f"{self.where}.CustomErrorResponses[{index}]")
            errors[error.error_code] = error
        root = str(c.get("DefaultRootObject") or "")
        if root.startswith("/"):
            self.refuse(f"{self.where}.DefaultRootObject: must not begin with '/' (CloudFront API reference)")
        return DistributionConfig(
            tuple(b for b in behaviors if b is not None), origins, errors, root, dict(self.ev.parameters)
        )

    # -- origins ---------------------------------------------------------------------------

    def origin(self, raw: dict, where: str) -> Origin | None:
        origin_id = str(raw.get("Id"))
        if raw.get("OriginPath"):
            self.refuse(f"{where}.OriginPath: not modelled by the emulator")
        if raw.get("OriginCustomHeaders"):
            self.refuse(f"{where}.OriginCustomHeaders: not modelled by the emulator")
        domain = raw.get("DomainName")
        if "S3OriginConfig" in raw:
            if not raw.get("OriginAccessControlId"):
                self.refuse(f"{where}: an S3 origin without OriginAccessControlId (OAI or public) is not modelled")
            if not isinstance(domain, Ref) or domain.attribute not in ("RegionalDomainName", "DomainName"):
                self.refuse(
                    f"{where}.DomainName: the emulator serves only a bucket of this template (!GetAtt X.RegionalDomainName)"
                )
                return None
            bucket = domain.logical_id
            return Origin(origin_id, "s3", str(domain), bucket, self.bucket_lists(bucket, where))
        if "CustomOriginConfig" in raw:
            return Origin(origin_id, "custom", str(domain))
        self.refuse(f"{where}: neither S3OriginConfig nor CustomOriginConfig")
        return None

    def bucket_lists(self, bucket: str, where: str) -> bool:
        """Whether the bucket policy lets CloudFront's service principal s3:ListBucket the bucket."""
        policies = [
            (name, r)
            for name, r in self.ev.resources.items()
            if isinstance(r, dict)
            and r.get("Type") == "AWS::S3::BucketPolicy"
            and (r.get("Properties") or {}).get("Bucket") == {"Ref": bucket}
        ]
        if not policies:
            self.refuse(f"{where}: no AWS::S3::BucketPolicy for {bucket} in the template; cannot tell what S3 answers")
            return False
        lists = False
        for name, resource in policies:
            try:
                document = self.ev.value(resource["Properties"]["PolicyDocument"], f"Resources.{name}")
            except _Unreadable as exc:
                self.refuse(str(exc))
                continue
            for statement in document.get("Statement") or []:
                if statement.get("Effect") != "Allow":
                    continue
                principal = (statement.get("Principal") or {}).get("Service")
                services = [principal] if isinstance(principal, str) else principal or []
                if "cloudfront.amazonaws.com" not in services:
                    continue
                actions = statement.get("Action")
                actions = [actions] if isinstance(actions, str) else actions or []
                resources = statement.get("Resource")
                resources = [resources] if not isinstance(resources, list) else resources
                on_bucket = any(
                    isinstance(r, Ref) and r.logical_id == bucket and r.attribute == "Arn" for r in resources
                )
                if on_bucket and any(a in ("s3:ListBucket", "s3:*", "s3:List*") for a in actions):
                    lists = True
        return lists

    # -- behaviors -------------------------------------------------------------------------

    def behavior(self, raw: dict, where: str, pattern: Any) -> Behavior | None:
        if not isinstance(pattern, str) or not pattern:
            self.refuse(f"{where}.PathPattern: missing")
            return None
        for key, why in (
            ("TrustedSigners", "signed URLs/cookies with key pairs are not modelled"),
            ("FunctionAssociations", "CloudFront Functions are not modelled"),
            ("FieldLevelEncryptionId", "field-level encryption is not modelled"),
            ("RealtimeLogConfigArn", "real-time logs are not modelled"),
            ("ForwardedValues", "legacy cache settings (ForwardedValues) are not modelled: use a cache policy"),
        ):
            if raw.get(key):
                self.refuse(f"{where}.{key}: {why}")
        key_groups = tuple(str(k) for k in raw.get("TrustedKeyGroups") or [])
        # Issue 23: CloudFront checks signed cookies on these behaviors itself, before any
        # function (local/signed_cookies.py models the check, citing the documentation).
        trusted_keys = self.trusted_keys(raw.get("TrustedKeyGroups") or [], f"{where}.TrustedKeyGroups")
        allowed = tuple(str(m) for m in raw.get("AllowedMethods") or ["GET", "HEAD"])
        cached = tuple(str(m) for m in raw.get("CachedMethods") or ["GET", "HEAD"])
        gate, include_body = False, False
        for index, assoc in enumerate(raw.get("LambdaFunctionAssociations") or []):
            event = assoc.get("EventType")
            arn = assoc.get("LambdaFunctionARN")
            if event != "viewer-request":
                self.refuse(f"{where}.LambdaFunctionAssociations[{index}]: {event} functions are not modelled")
                continue
            resource = self.ev.resources.get(arn.logical_id) if isinstance(arn, Ref) else None
            if not isinstance(resource, dict) or resource.get("Type") not in GATE_VERSION_TYPES:
                self.refuse(
                    f"{where}.LambdaFunctionAssociations[{index}]: the emulator runs only the gate's zip, as a "
                    "!Ref of this template's AWS::Lambda::Version"
                )
                continue
            gate = True
            include_body = bool(assoc.get("IncludeBody", False))
        policy = raw.get("CachePolicyId")
        caching_disabled, policy_name = self.cache_policy(policy, f"{where}.CachePolicyId")
        forwards_host = self.origin_request_policy(raw.get("OriginRequestPolicyId"), f"{where}.OriginRequestPolicyId")
        headers = self.response_headers(raw.get("ResponseHeadersPolicyId"), f"{where}.ResponseHeadersPolicyId")
        return Behavior(
            path_pattern=pattern,
            target_origin_id=str(raw.get("TargetOriginId")),
            allowed_methods=allowed,
            cached_methods=cached,
            gate=gate,
            include_body=include_body,
            caching_disabled=caching_disabled,
            cache_policy=policy_name,
            forwards_host=forwards_host,
            response_headers=headers,
            trusted_key_groups=key_groups,
            trusted_keys=trusted_keys,
            label=where,
        )

    def trusted_keys(self, groups: list, where: str) -> tuple:
        """The public keys of the behavior's key groups (AWS::CloudFront::KeyGroup of
        AWS::CloudFront::PublicKey in this template). A key's id is CloudFront's to assign; the
        emulator's stand-in is gatebuild.asset_key.local_key_id of the key, the id local builds
        sign with."""
        from gatebuild.asset_key import local_key_id
        from local.signed_cookies import public_key

        keys = []
        before = len(self.problems)
        for index, group in enumerate(groups):
            resource = self.ev.resources.get(group.logical_id) if isinstance(group, Ref) else None
            if not isinstance(resource, dict) or resource.get("Type") != "AWS::CloudFront::KeyGroup":
                self.refuse(f"{where}[{index}]: not a !Ref of this template's AWS::CloudFront::KeyGroup")
                continue
            try:
                items = self.ev.value(resource["Properties"]["KeyGroupConfig"]["Items"], f"{group.logical_id}.Items")
            except (_Unreadable, KeyError, TypeError) as exc:
                self.refuse(f"{where}[{index}]: {exc}")
                continue
            for item in items:
                key_resource = self.ev.resources.get(item.logical_id) if isinstance(item, Ref) else None
                if not isinstance(key_resource, dict) or key_resource.get("Type") != "AWS::CloudFront::PublicKey":
                    self.refuse(
                        f"{where}[{index}]: key group item {item!r} is not this template's AWS::CloudFront::PublicKey"
                    )
                    continue
                try:
                    pem = self.ev.value(
                        key_resource["Properties"]["PublicKeyConfig"]["EncodedKey"], f"{item.logical_id}.EncodedKey"
                    )
                    key = public_key("", str(pem))
                    key_id = local_key_id({"n": format(key.n, "x")}) if key.kind == "rsa" else item.logical_id
                    keys.append(public_key(key_id, str(pem)))
                except (_Unreadable, KeyError, TypeError, ValueError) as exc:
                    self.refuse(f"{where}[{index}]: {item.logical_id}: not a public key CloudFront takes ({exc})")
        if groups and not keys and len(self.problems) == before:
            self.refuse(f"{where}: no public key in the trusted key groups: CloudFront would refuse every request")
        return tuple(keys)

    def cache_policy(self, policy: Any, where: str) -> tuple[bool, str]:
        if isinstance(policy, str) and policy in MANAGED_CACHE_POLICIES:
            name, ttls = MANAGED_CACHE_POLICIES[policy]
            return ttls == (0, 0, 0), name
        if isinstance(policy, Ref) and not policy.attribute:
            resource = self.ev.resources.get(policy.logical_id) or {}
            if resource.get("Type") == "AWS::CloudFront::CachePolicy":
                try:
                    cfg = self.ev.value(resource["Properties"]["CachePolicyConfig"], f"Resources.{policy.logical_id}")
                except _Unreadable as exc:
                    self.refuse(str(exc))
                    return False, policy.logical_id
                ttls = tuple(int(cfg.get(k, 0)) for k in ("MinTTL", "DefaultTTL", "MaxTTL"))
                return ttls == (0, 0, 0), policy.logical_id
        self.refuse(f"{where}: {policy!r} is neither a known managed cache policy nor one in this template")
        return False, str(policy)

    def origin_request_policy(self, policy: Any, where: str) -> bool | None:
        if policy is None:
            return None
        if isinstance(policy, str) and policy in MANAGED_ORIGIN_REQUEST_POLICIES:
            return MANAGED_ORIGIN_REQUEST_POLICIES[policy][1]
        self.refuse(f"{where}: {policy!r} is not a managed origin request policy the emulator knows")
        return None

    def response_headers(self, policy: Any, where: str) -> tuple[tuple[str, str, bool], ...]:
        if policy is None:
            return ()
        resource = self.ev.resources.get(policy.logical_id) if isinstance(policy, Ref) else None
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::CloudFront::ResponseHeadersPolicy":
            self.refuse(f"{where}: {policy!r} is not a response headers policy of this template")
            return ()
        try:
            cfg = self.ev.value(resource["Properties"]["ResponseHeadersPolicyConfig"], f"Resources.{policy.logical_id}")
        except _Unreadable as exc:
            self.refuse(str(exc))
            return ()
        return security_headers(cfg, f"Resources.{policy.logical_id}", self.refuse)

    def error_response(self, raw: dict, where: str) -> ErrorResponse:
        code = int(raw.get("ErrorCode", 0))
        response = raw.get("ResponseCode")
        page = str(raw.get("ResponsePagePath") or "")
        if response is not None and not page:
            self.refuse(f"{where}: ResponseCode needs ResponsePagePath (CloudFront API reference, CustomErrorResponse)")
        return ErrorResponse(
            code, int(response) if response is not None else None, page, int(raw.get("ErrorCachingMinTTL", 10))
        )


def security_headers(cfg: dict, where: str, refuse) -> tuple[tuple[str, str, bool], ...]:
    """A ResponseHeadersPolicyConfig's headers as (name, value, override), in a fixed order."""
    for key in ("CorsConfig", "RemoveHeadersConfig", "ServerTimingHeadersConfig"):
        if cfg.get(key):
            refuse(f"{where}.{key}: not modelled by the emulator")
    out: list[tuple[str, str, bool]] = []
    sec = cfg.get("SecurityHeadersConfig") or {}
    hsts = sec.get("StrictTransportSecurity")
    if hsts:
        value = f"max-age={int(hsts['AccessControlMaxAgeSec'])}"
        if _true(hsts.get("IncludeSubdomains")):
            value += "; includeSubDomains"
        if _true(hsts.get("Preload")):
            value += "; preload"
        out.append(("Strict-Transport-Security", value, _true(hsts.get("Override"))))
    csp = sec.get("ContentSecurityPolicy")
    if csp:
        out.append(("Content-Security-Policy", str(csp["ContentSecurityPolicy"]), _true(csp.get("Override"))))
    if sec.get("ContentTypeOptions"):
        out.append(("X-Content-Type-Options", "nosniff", _true(sec["ContentTypeOptions"].get("Override"))))
    frame = sec.get("FrameOptions")
    if frame:
        out.append(("X-Frame-Options", str(frame["FrameOption"]), _true(frame.get("Override"))))
    referrer = sec.get("ReferrerPolicy")
    if referrer:
        out.append(("Referrer-Policy", str(referrer["ReferrerPolicy"]), _true(referrer.get("Override"))))
    xss = sec.get("XSSProtection")
    if xss:
        refuse(f"{where}.SecurityHeadersConfig.XSSProtection: not modelled by the emulator")
    for item in (cfg.get("CustomHeadersConfig") or {}).get("Items") or []:
        out.append((str(item["Header"]), str(item["Value"]), _true(item.get("Override"))))
    return tuple(out)


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


# --------------------------------------------------------------------------------------------
# For the emulator and the tests: the template with the deploy's parameters
# --------------------------------------------------------------------------------------------


def local_parameters(
    *, api_domain: str = "", api_path: str | None = None, csp: str, zip_sha256_b64: str = "", **options: Any
) -> list[dict]:
    """The parameters `deploy.py stack` would pass for these options, from its own builder
    (gatebuild/deploy/stack.py: StackOptions + stack_parameters): a first create (no previous
    stack), the code at a local placeholder key."""
    from gatebuild.deploy.stack import StackOptions, stack_parameters

    opts = StackOptions(stack_name="local", api_domain=api_domain or None, api_path=api_path, **options)
    code = ("local-artifacts", "edge.zip", zip_sha256_b64 or "A" * 43 + "=")
    return stack_parameters(opts, csp, None, code)


def from_template(path: str | Path = TEMPLATE, **kwargs: Any) -> DistributionConfig:
    """The distribution as `deploy.py stack` with these options would create it."""
    return read(load(path), local_parameters(**kwargs))


# --------------------------------------------------------------------------------------------
# The same distribution as CloudFront's API returns it (GetDistributionConfig), for the tests
# of `deploy.py status` and the deploy model
# --------------------------------------------------------------------------------------------

_API_LISTS = {
    "Aliases",
    "Origins",
    "CacheBehaviors",
    "CustomErrorResponses",
    "LambdaFunctionAssociations",
    "OriginSSLProtocols",
}
# Where CloudFormation's property names differ from the API's.
_API_NAMES = {
    "IPV6Enabled": "IsIPV6Enabled",
    "AcmCertificateArn": "ACMCertificateArn",
    "SslSupportMethod": "SSLSupportMethod",
    "IamCertificateId": "IAMCertificateId",
}


def api_distribution_config(template: dict, given: list[dict], resources: dict[str, str] | None = None) -> dict:
    """The template's DistributionConfig evaluated with the deploy's parameters, in the shape of
    the CloudFront API reference (lists as {Quantity, Items}; AllowedMethods with its nested
    CachedMethods). `resources` gives values for !Ref/!GetAtt of resources (e.g. GateVersion ->
    a version ARN); the others become "<LogicalId>" or "<LogicalId>.<Attribute>".
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html"""
    parameters, problems = deploy_parameters(template, given)
    if problems:
        raise DistributionError(problems)
    ev = Evaluator(template, parameters)
    (name,) = [
        n
        for n, r in (template.get("Resources") or {}).items()
        if isinstance(r, dict) and r.get("Type") == "AWS::CloudFront::Distribution"
    ]
    try:
        config = ev.value(template["Resources"][name]["Properties"]["DistributionConfig"], name)
    except _Unreadable as exc:
        raise DistributionError([str(exc)]) from None
    values = resources or {}

    def shape(node: Any, key: str = "") -> Any:
        if isinstance(node, Ref):
            return values.get(str(node), values.get(node.logical_id, f"<{node}>"))
        if isinstance(node, dict):
            out = {_API_NAMES.get(k, k): shape(v, k) for k, v in node.items()}
            if key == "CustomOriginConfig":  # CloudFormation's defaults; the API requires them
                out.setdefault("HTTPPort", 80)
                out.setdefault("HTTPSPort", 443)
            if "AllowedMethods" in out:
                cached = out.pop("CachedMethods", ["GET", "HEAD"])
                methods = out["AllowedMethods"]
                out["AllowedMethods"] = {
                    "Quantity": len(methods),
                    "Items": methods,
                    "CachedMethods": {"Quantity": len(cached), "Items": cached},
                }
            return out
        if isinstance(node, list):
            items = [shape(v) for v in node]
            return {"Quantity": len(items), "Items": items} if key in _API_LISTS else items
        return node

    return shape(config)
