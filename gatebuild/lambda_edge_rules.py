"""Lambda@Edge rules that cfn-lint does not know, checked on a CloudFormation template.

cfn-lint validates the template against the resource schemas, but a function that is valid for
Lambda can still be refused when CloudFront associates it (environment variables, $LATEST,
arm64) or break at the edge (a viewer trigger over 128 MB or 5 s). This module follows every
Lambda@Edge association of every AWS::CloudFront::Distribution in the template back to its
version, function and role, and reports each rule the template breaks.

    python -m gatebuild.lambda_edge_rules cloudformation.yaml [--region us-east-1]

exits 1 and prints one line per problem, or exits 0 silently.
"""

from __future__ import annotations

import argparse
import re
import sys

EDGE_REGION = "us-east-1"
# Python runtimes Lambda@Edge accepts. python3.13 is the one this project ships on.
EDGE_PYTHON_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13")
VIEWER_EVENTS = ("viewer-request", "viewer-response")
ORIGIN_EVENTS = ("origin-request", "origin-response")
# (memory MB, timeout s) maxima. The project keeps the historical viewer limits as hard limits.
LIMITS = {"viewer": (128, 5), "origin": (10240, 30)}
LAMBDA_DEFAULT_MEMORY = 128
LAMBDA_DEFAULT_TIMEOUT = 3
NUMBERED_VERSION_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):\d{12}:function:[A-Za-z0-9_-]+:(?P<qualifier>[^:\s]+)\Z"
)
# Properties Lambda@Edge does not support on the function.
UNSUPPORTED_PROPERTIES = {
    "Environment": "Lambda@Edge functions cannot have environment variables; bake configuration into the zip",
    "Layers": "Lambda@Edge functions cannot use layers; ship every dependency in the zip",
    "VpcConfig": "Lambda@Edge functions cannot run in a VPC; remove VpcConfig",
    "FileSystemConfigs": "Lambda@Edge functions cannot mount file systems; remove FileSystemConfigs",
    "ImageConfig": "Lambda@Edge functions cannot be container images; use a zip package",
    "DeadLetterConfig": "Lambda@Edge functions cannot have a dead-letter queue; remove DeadLetterConfig",
}


def check_template(template: dict, region: str | None = None) -> list[str]:
    """Every Lambda@Edge rule the template breaks, one readable line each ([] when clean).

    `region` is the region the template will be deployed to, when known.
    """
    problems: list[str] = []
    resources = template.get("Resources") or {}
    if region is not None and region != EDGE_REGION:
        problems.append(
            f"deploy region {region}: Lambda@Edge functions must be in {EDGE_REGION}; deploy the stack there"
        )
    associations = list(_associations(resources))
    checked_functions: set[tuple[str, str]] = set()
    for where, event_type, arn in associations:
        kind = "viewer" if event_type in VIEWER_EVENTS else "origin"
        if event_type not in VIEWER_EVENTS + ORIGIN_EVENTS:
            problems.append(f"{where}.EventType: {event_type!r} is not a Lambda@Edge event type")
        function_id, arn_problems = _version_target(arn, resources, template, where)
        problems.extend(arn_problems)
        if function_id and (function_id, kind) not in checked_functions:
            checked_functions.add((function_id, kind))
            problems.extend(_check_function(function_id, resources, kind, event_type))
    return problems


# --------------------------------------------------------------------------- associations


def _associations(resources: dict):
    for name, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::CloudFront::Distribution":
            continue
        config = (resource.get("Properties") or {}).get("DistributionConfig") or {}
        behaviors = [("DefaultCacheBehavior", config.get("DefaultCacheBehavior") or {})]
        for index, behavior in enumerate(config.get("CacheBehaviors") or []):
            behaviors.append((f"CacheBehaviors[{index}]", behavior or {}))
        for label, behavior in behaviors:
            assocs = behavior.get("LambdaFunctionAssociations") or []
            if isinstance(assocs, dict) and "Fn::If" in assocs:  # e.g. none when the assets are signed (issue 23)
                assocs = [a for branch in assocs["Fn::If"][1:] if isinstance(branch, list) for a in branch]
            for index, assoc in enumerate(assocs):
                where = f"Resources.{name}.DistributionConfig.{label}.LambdaFunctionAssociations[{index}]"
                yield where, assoc.get("EventType"), assoc.get("LambdaFunctionARN")


def _version_target(arn, resources: dict, template: dict, where: str) -> tuple[str | None, list[str]]:
    """The logical id of the associated function (when it is in the template) and problems."""
    field = f"{where}.LambdaFunctionARN"
    if isinstance(arn, str):
        return None, _check_literal_arn(arn, field)
    if isinstance(arn, dict) and len(arn) == 1:
        ((fn, value),) = arn.items()
        if fn == "Ref":
            return _check_ref(value, resources, template, field)
        if fn == "Fn::GetAtt":
            target = value if isinstance(value, list) else str(value).split(".", 1)
            kind = (resources.get(target[0]) or {}).get("Type")
            if kind == "AWS::Lambda::Function":
                return target[0], [
                    f"{field}: GetAtt {target[0]}.Arn is the unqualified function ($LATEST); "
                    "associate a numbered version (!Ref an AWS::Lambda::Version)"
                ]
            return None, [
                f"{field}: GetAtt {'.'.join(target)} is not a numbered version ARN; "
                "associate !Ref of an AWS::Lambda::Version"
            ]
        if fn == "Fn::Sub":
            text = value if isinstance(value, str) else value[0]
            return _check_sub(text, resources, field)
    return None, [
        f"{field}: cannot tell whether this is a numbered version ARN; "
        "use !Ref to an AWS::Lambda::Version or a literal ARN ending in :<number>"
    ]


def _check_literal_arn(arn: str, field: str) -> list[str]:
    match = NUMBERED_VERSION_ARN.match(arn)
    if not match:
        return [
            f"{field}: {arn!r} is not a function version ARN (arn:aws:lambda:us-east-1:<account>:function:<name>:<number>)"
        ]
    problems = []
    qualifier = match.group("qualifier")
    if qualifier == "$LATEST":
        problems.append(f"{field}: $LATEST cannot be associated; use a numbered version")
    elif not qualifier.isdigit():
        problems.append(f"{field}: {qualifier!r} is an alias; Lambda@Edge needs a numbered version")
    if match.group("region") != EDGE_REGION:
        problems.append(
            f"{field}: the function is in {match.group('region')}; Lambda@Edge functions must be in {EDGE_REGION}"
        )
    return problems


def _check_ref(name, resources: dict, template: dict, field: str) -> tuple[str | None, list[str]]:
    resource = resources.get(name)
    if resource is None:
        if name in (template.get("Parameters") or {}):
            return None, [
                f"{field}: !Ref parameter {name} cannot be checked; "
                "associate !Ref of an AWS::Lambda::Version in this template"
            ]
        return None, [f"{field}: !Ref {name} refers to nothing in the template"]
    kind = resource.get("Type")
    if kind == "AWS::Lambda::Version":
        props = resource.get("Properties") or {}
        if props.get("ProvisionedConcurrencyConfig"):
            return _function_of(props), [
                f"Resources.{name}.ProvisionedConcurrencyConfig: Lambda@Edge does not support provisioned concurrency"
            ]
        return _function_of(props), []
    if kind == "AWS::Lambda::Function":
        return name, [
            f"{field}: !Ref {name} is the unqualified function ($LATEST); "
            "associate a numbered version (!Ref an AWS::Lambda::Version)"
        ]
    if kind == "AWS::Lambda::Alias":
        target = _function_of(resource.get("Properties") or {})
        return target, [
            f"{field}: !Ref {name} is an alias; Lambda@Edge needs a numbered version (!Ref an AWS::Lambda::Version)"
        ]
    return None, [f"{field}: !Ref {name} is a {kind}, not an AWS::Lambda::Version"]


def _check_sub(text: str, resources: dict, field: str) -> tuple[str | None, list[str]]:
    if text.endswith(":$LATEST"):
        return None, [f"{field}: $LATEST cannot be associated; use a numbered version"]
    if re.search(r":\d+\Z", text):
        return None, []
    match = re.search(r"\$\{([A-Za-z0-9]+)\.Version\}\Z", text)
    if match and (resources.get(match.group(1)) or {}).get("Type") == "AWS::Lambda::Version":
        return _function_of(resources[match.group(1)].get("Properties") or {}), []
    return None, [f"{field}: {text!r} does not end in a numbered version; associate !Ref of an AWS::Lambda::Version"]


def _function_of(props: dict) -> str | None:
    target = props.get("FunctionName")
    if isinstance(target, dict):
        if "Ref" in target:
            return target["Ref"]
        if "Fn::GetAtt" in target:
            value = target["Fn::GetAtt"]
            return (value if isinstance(value, list) else str(value).split("."))[0]
    return None


# --------------------------------------------------------------------------- the function


def _check_function(name: str, resources: dict, kind: str, event_type: str) -> list[str]:
    resource = resources.get(name)
    if not isinstance(resource, dict) or resource.get("Type") != "AWS::Lambda::Function":
        return [f"Resources.{name}: associated with CloudFront but not an AWS::Lambda::Function in this template"]
    props = resource.get("Properties") or {}
    where = f"Resources.{name}.Properties"
    problems = []
    for key, why in UNSUPPORTED_PROPERTIES.items():
        if key in props:
            problems.append(f"{where}.{key}: {why}")
    if props.get("PackageType", "Zip") != "Zip":
        problems.append(f"{where}.PackageType: Lambda@Edge functions must be zip packages")
    tracing = (props.get("TracingConfig") or {}).get("Mode")
    if tracing == "Active":
        problems.append(f"{where}.TracingConfig: Lambda@Edge does not support X-Ray tracing; remove it")
    storage = (props.get("EphemeralStorage") or {}).get("Size", 512)
    if not isinstance(storage, int) or storage != 512:
        problems.append(f"{where}.EphemeralStorage: Lambda@Edge functions keep the default 512 MB of /tmp; remove it")
    update_mode = (props.get("RuntimeManagementConfig") or {}).get("UpdateRuntimeOn", "Auto")
    if update_mode != "Auto":
        problems.append(
            f"{where}.RuntimeManagementConfig: Lambda@Edge accepts only the Auto runtime update "
            'mode (AWS "Restrictions on Lambda@Edge"); remove it'
        )
    if (props.get("SnapStart") or {}).get("ApplyOn", "None") != "None":
        problems.append(f"{where}.SnapStart: Lambda@Edge does not support SnapStart; remove it")
    max_memory, max_timeout = LIMITS[kind]
    problems += _limit(
        where,
        "MemorySize",
        props.get("MemorySize", LAMBDA_DEFAULT_MEMORY),
        max_memory,
        f"{max_memory} MB is the limit this project keeps for a {event_type} function",
    )
    problems += _limit(
        where,
        "Timeout",
        props.get("Timeout", LAMBDA_DEFAULT_TIMEOUT),
        max_timeout,
        f"{max_timeout} s is the limit for a {event_type} function",
    )
    runtime = props.get("Runtime")
    if runtime not in EDGE_PYTHON_RUNTIMES:
        problems.append(
            f"{where}.Runtime: {runtime!r} is not a Python runtime Lambda@Edge supports; "
            f"use one of {', '.join(EDGE_PYTHON_RUNTIMES)} (python3.13 is the one this gate ships on)"
        )
    architectures = props.get("Architectures", ["x86_64"])
    if architectures != ["x86_64"]:
        problems.append(f"{where}.Architectures: Lambda@Edge runs only x86_64; set [x86_64]")
    problems += _check_role(props.get("Role"), resources, where)
    return problems


def _limit(where: str, key: str, value, maximum: int, why: str) -> list[str]:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return [f"{where}.{key}: must be a literal number so the Lambda@Edge limit can be checked ({why})"]
    if number > maximum:
        return [f"{where}.{key}: {number} is over {maximum}; {why}"]
    return []


def _check_role(role, resources: dict, where: str) -> list[str]:
    if not isinstance(role, dict) or "Fn::GetAtt" not in role:
        return []  # an existing role: cannot be checked from the template
    target = role["Fn::GetAtt"]
    role_name = (target if isinstance(target, list) else str(target).split("."))[0]
    resource = resources.get(role_name) or {}
    if resource.get("Type") != "AWS::IAM::Role":
        return []
    document = (resource.get("Properties") or {}).get("AssumeRolePolicyDocument") or {}
    trusted: set[str] = set()
    for statement in document.get("Statement") or []:
        if statement.get("Effect") != "Allow":
            continue
        services = (statement.get("Principal") or {}).get("Service") or []
        trusted.update([services] if isinstance(services, str) else services)
    missing = [s for s in ("lambda.amazonaws.com", "edgelambda.amazonaws.com") if s not in trusted]
    if missing:
        return [
            f"Resources.{role_name}.Properties.AssumeRolePolicyDocument: must trust "
            f"{' and '.join(missing)} (the role of {where.split('.')[1]}, a Lambda@Edge function)"
        ]
    return []


# --------------------------------------------------------------------------- command line


def load_template(path: str) -> dict:
    """Load a YAML or JSON CloudFormation template, understanding !Ref, !Sub, !GetAtt..."""
    from cfnlint.decode import decode

    template, matches = decode(path)
    if matches or template is None:
        detail = "; ".join(str(m.message) for m in matches) or "could not be read"
        raise ValueError(f"{path}: {detail}")
    return template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gatebuild.lambda_edge_rules",
        description="Check a CloudFormation template against the Lambda@Edge rules cfn-lint does not know.",
    )
    parser.add_argument("template", help="template file (YAML or JSON)")
    parser.add_argument("--region", help="the region it will be deployed to (must be us-east-1)")
    args = parser.parse_args(argv)
    try:
        template = load_template(args.template)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = check_template(template, region=args.region)
    for problem in problems:
        print(f"{args.template}: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
