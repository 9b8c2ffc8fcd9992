"""Checks before a stack is first created, so a first deploy cannot strand the user halfway.

A failed first creation rolls back and must be deleted by hand before the next try, and some
failures (a taken Cognito domain prefix racing the distribution) end in ROLLBACK_FAILED. What
can be known beforehand is checked here, read-only:

- the Cognito domain prefix is free: DescribeUserPoolDomain answers 200 with an empty
  `DomainDescription` for a prefix nobody uses, and the owner's pool id and account for a taken
  one (Cognito API reference, DescribeUserPoolDomain; emulators that model AWS do the same:
  moto 5.2 cognitoidp/responses.py, faiscadev/fakecloud#165 "empty DomainDescription for
  non-existent domains (matching AWS)");
- the deploying identity's permissions, with IAM's policy simulator (SimulatePrincipalPolicy on
  the caller's user or role; it evaluates identity policies, permissions boundaries and
  Organizations SCPs: IAM API reference, EvaluationResult), for the actions that fail deep inside
  a stack: Lambda@Edge replication (lambda:EnableReplication*, lambda:GetFunction), the
  service-linked role CloudFront creates the first time an account uses Lambda@Edge
  (iam:CreateServiceLinkedRole; CloudFront developer guide, "Service-linked roles for
  Lambda@Edge"), CloudFront, Cognito and the rest (docs/deploy-policy.json).

Not checkable: whether AWS has verified a new account for CloudFront. No read-only call tells, and
the refusal ("Your account must be verified before you can add new CloudFront resources") comes
only from CreateDistribution; errors.py turns it into what to do (AWS Support), and the pool no
longer outlives the rollback (DeletionPolicy RetainExceptOnCreate).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from .errors import DeployError
from .progress import Progress

POLICY_PATH = Path(__file__).resolve().parents[2] / "docs" / "deploy-policy.json"
REPLICATOR_ROLE = "AWSServiceRoleForLambdaReplicator"

# The actions a first `stack` deploy needs that, when missing, fail inside CloudFormation (after
# minutes, with a rollback); the rest of docs/deploy-policy.json fails at once with a clear error.
CRITICAL_ACTIONS = (
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "cloudfront:CreateDistribution",
    "cloudfront:UpdateDistribution",
    "cloudfront:CreateOriginAccessControl",
    "cloudfront:CreateCachePolicy",
    "cloudfront:CreateResponseHeadersPolicy",
    "cloudfront:CreateInvalidation",
    "lambda:CreateFunction",
    "lambda:PublishVersion",
    "lambda:GetFunction",
    "lambda:EnableReplication",
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:PassRole",
    "s3:CreateBucket",
    "s3:PutBucketPolicy",
    "ssm:PutParameter",
)
COGNITO_ACTIONS = (
    "cognito-idp:CreateUserPool",
    "cognito-idp:CreateUserPoolDomain",
    "cognito-idp:CreateUserPoolClient",
    "cognito-idp:DescribeUserPoolClient",
    "cognito-idp:CreateGroup",
)


def policy_actions() -> set[str]:
    """Every action the documented minimal policy grants (docs/deploy-policy.json)."""
    policy = json.loads(POLICY_PATH.read_text(encoding="utf-8"))
    actions: set[str] = set()
    for statement in policy["Statement"]:
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def check_domain_prefix(cognito, prefix: str, account: str) -> None:
    """Refuse a Cognito domain prefix somebody already uses, before anything is created."""
    try:
        described = cognito.describe_user_pool_domain(Domain=prefix).get("DomainDescription") or {}
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("AccessDeniedException", "AccessDenied"):
            raise DeployError(
                f"cannot check the Cognito domain prefix {prefix}: AWS refused DescribeUserPoolDomain; the identity "
                "you deploy with needs cognito-idp:DescribeUserPoolDomain (docs/deploy.md, Permissions)"
            ) from None
        raise
    if not described.get("UserPoolId"):
        return
    where = f"https://{prefix}.auth.us-east-1.amazoncognito.com"
    if described.get("AWSAccountId") == account:
        raise DeployError(
            f"--cognito-domain-prefix {prefix}: {where} already belongs to your user pool "
            f"{described['UserPoolId']} (left by an earlier attempt?); choose another prefix, or delete that "
            f"domain first: aws cognito-idp delete-user-pool-domain --domain {prefix} --user-pool-id "
            f"{described['UserPoolId']} --region us-east-1"
        )
    raise DeployError(
        f"--cognito-domain-prefix {prefix}: {where} is taken (prefixes are unique across every AWS account in the "
        "region); choose another prefix"
    )


def principal_arn(iam, caller_arn: str) -> str | None:
    """The IAM user or role to simulate for the caller (None: the root user or a federated user,
    which the simulator cannot take). An assumed-role ARN names the role without its path
    (arn:aws:sts::<account>:assumed-role/<name>/<session>); GetRole gives the real ARN."""
    match = re.match(r"^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)$", caller_arn)
    if not match:
        return None
    _, service, _, resource = match.groups()
    if service == "iam" and resource.startswith("user/"):
        return caller_arn
    if service == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        return iam.get_role(RoleName=role)["Role"]["Arn"]
    return None


def _needs_service_linked_role(iam) -> bool:
    try:
        iam.get_role(RoleName=REPLICATOR_ROLE)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return True
        raise


def _resource_for(action: str, account: str, stack: str) -> str:
    """The resource a first deploy uses each action on, so a policy scoped to resources (like
    docs/deploy-policy.json) simulates as it will be evaluated; "*" where the name is not known
    before CloudFormation picks it."""
    service = action.split(":")[0]
    if service == "cloudformation":
        return f"arn:aws:cloudformation:us-east-1:{account}:stack/{stack}/*"
    if service == "lambda":
        return f"arn:aws:lambda:us-east-1:{account}:function:{stack}-GateFunction-*"
    if service == "ssm":
        return f"arn:aws:ssm:us-east-1:{account}:parameter/signin-gate/stack/{stack}/state-secret"
    if action == "iam:CreateServiceLinkedRole":
        return f"arn:aws:iam::{account}:role/aws-service-role/replicator.lambda.amazonaws.com/{REPLICATOR_ROLE}"
    return "*"


def missing_permissions(iam, caller_arn: str, creates_cognito: bool, account: str, stack: str) -> list[str] | None:
    """The critical actions IAM's simulator says the caller may not do ([] when all are
    allowed), or None when the simulation itself is not possible (the root user, or a federated
    user). Each action is simulated on the resource the deploy will use it on; for
    CreateServiceLinkedRole with the iam:AWSServiceName CloudFront passes (IAM user guide,
    "Service-linked role permissions")."""
    principal = principal_arn(iam, caller_arn)
    if principal is None:
        return None
    actions = list(CRITICAL_ACTIONS) + (list(COGNITO_ACTIONS) if creates_cognito else [])
    if _needs_service_linked_role(iam):
        actions.append("iam:CreateServiceLinkedRole")
    by_resource: dict[str, list[str]] = {}
    for action in actions:
        by_resource.setdefault(_resource_for(action, account, stack), []).append(action)
    denied: list[str] = []
    for resource, batch in by_resource.items():
        kwargs: dict = {"PolicySourceArn": principal, "ActionNames": batch, "ResourceArns": [resource]}
        if "iam:CreateServiceLinkedRole" in batch:
            kwargs["ContextEntries"] = [
                {
                    "ContextKeyName": "iam:AWSServiceName",
                    "ContextKeyValues": ["replicator.lambda.amazonaws.com"],
                    "ContextKeyType": "string",
                }
            ]
        for page in iam.get_paginator("simulate_principal_policy").paginate(**kwargs):
            for result in page.get("EvaluationResults") or []:
                if result.get("EvalDecision") != "allowed":
                    denied.append(f"{result['EvalActionName']} ({result.get('EvalDecision')})")
    return denied


def check_permissions(
    iam, caller_arn: str, creates_cognito: bool, progress: Progress, account: str = "*", stack: str = "*"
) -> None:
    """Refuse a first deploy the simulator says would fail inside CloudFormation."""
    try:
        denied = missing_permissions(iam, caller_arn, creates_cognito, account, stack)
    except (ClientError, BotoCoreError) as exc:
        progress.warn(
            f"could not check this identity's permissions beforehand ({exc}); the deploy goes on, and a "
            "missing permission shows as a failed stack event (docs/deploy.md, Permissions)"
        )
        return
    if denied is None:
        progress.note(f"{caller_arn}: the root user or a federated session; permissions not simulated")
        return
    if denied:
        raise DeployError(
            f"{caller_arn} may not: {', '.join(denied)}; without them the first creation fails inside "
            "CloudFormation and must be deleted by hand. Attach docs/deploy-policy.json (docs/deploy.md, "
            "Permissions), or pass --no-permission-check if IAM's policy simulator misjudges your policies "
            "(e.g. conditions on tags or resources it cannot evaluate)"
        )
    progress.note("permissions checked with IAM's policy simulator")


def preflight(
    clients, account: str, caller_arn: str, stack: str, prefix: str | None, check_iam: bool, progress: Progress
) -> None:
    """Everything checked before create_stack."""
    progress.step("checking before creating anything (domain prefix, permissions)")
    if prefix:
        check_domain_prefix(clients.cognito_idp, prefix, account)
        progress.note(f"Cognito domain prefix {prefix} is free")
    if check_iam:
        check_permissions(clients.iam, caller_arn, bool(prefix), progress, account, stack)
