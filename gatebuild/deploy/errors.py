"""One-line explanations of what went wrong while deploying, each naming the likely fix.

Everything the deploy commands expect to go wrong ends up as a DeployError; `explain` turns
botocore's exceptions into one. The CLI prints the message, never a traceback.
"""

from __future__ import annotations

import re

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from . import EDGE_REGION


class DeployError(Exception):
    """A deployment problem; str() is the one line shown to the user."""


def check_region(region: str | None) -> str:
    """The region to use: always us-east-1, where Lambda@Edge functions must live."""
    if region and region != EDGE_REGION:
        raise DeployError(
            f"region {region}: Lambda@Edge functions must be in {EDGE_REGION}; "
            f"drop --region or use --region {EDGE_REGION} (the site itself is served worldwide)"
        )
    return EDGE_REGION


# Substrings of AWS messages (stack event reasons or API errors) -> the fix to suggest. Each
# pattern is written against a message AWS really sends; where it comes from is said above it,
# and tests/deploy/test_deploy_errors.py feeds each one the full text.
HINTS: list[tuple[re.Pattern, str]] = [
    # CloudFront, a new account: "Your account must be verified before you can add new CloudFront
    # resources. To verify your account, please contact AWS Support (...) and include this error
    # message." (AccessDenied, 403; aws-samples/aws-cdk-examples#279, anomalyco/sst#3704, also
    # inside CloudFormation's "Access denied for operation 'AWS::CloudFront::Distribution: ...").
    # No read-only call tells beforehand (docs/deploy.md, Prerequisites).
    (
        re.compile(r"account must be verified before you can add new CloudFront resources", re.I),
        "AWS has not yet verified this account for CloudFront (new accounts must be): open a case with AWS "
        "Support (https://console.aws.amazon.com/support/home#/, account and billing, no paid plan needed) "
        "quoting this message; once they confirm, delete the failed stack (aws cloudformation delete-stack "
        "--stack-name {stack} --region us-east-1) if it is in ROLLBACK_COMPLETE and run this again",
    ),
    # Lambda@Edge association without lambda:EnableReplication*: "Lambda@Edge cannot enable
    # replication for the specified Lambda function. Update the IAM policy to add permission:
    # lambda:EnableReplication* for resource: arn:aws:lambda:...:function:x:2 and try again."
    # (serverless-operations/serverless-lambda-edge-pre-existing-cloudfront#36)
    (
        re.compile(r"EnableReplication|cannot enable replication", re.I),
        "the identity you deploy with needs lambda:EnableReplication* (and lambda:GetFunction) on the gate "
        "function's versions, which CloudFront uses to copy it to its edge locations: add them (docs/deploy.md, "
        "Permissions), delete the stack if it is in ROLLBACK_COMPLETE, and run this again",
    ),
    # The first Lambda@Edge function of an account makes CloudFront create the service-linked role
    # AWSServiceRoleForLambdaReplicator on the caller's behalf ("Service-linked roles for
    # Lambda@Edge", CloudFront developer guide): "User: arn:aws:iam::...:user/x is not authorized to
    # perform: iam:CreateServiceLinkedRole on resource: arn:aws:iam::...:role/aws-service-role/..."
    # (IAM's wording, e.g. StreisandEffect/streisand#1249) or "Caller does not have permissions to
    # create a Service Linked Role" (amplify-education/serverless-domain-manager#112).
    (
        re.compile(r"iam:CreateServiceLinkedRole|create a Service Linked Role", re.I),
        "CloudFront creates the role AWSServiceRoleForLambdaReplicator the first time an account uses "
        "Lambda@Edge, as the identity you deploy with: grant it iam:CreateServiceLinkedRole (docs/deploy.md, "
        "Permissions), or have an administrator run aws iam create-service-linked-role --aws-service-name "
        "replicator.lambda.amazonaws.com once; then run this again",
    ),
    # Lambda reading a zip that is gone: 'Resource handler returned message: "Error occurred while
    # GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.
    # (Service: Lambda, Status Code: 400, ...)"' (serverless/serverless#13208: an artifact from an
    # earlier deployment no longer there). deploy.py restores the zip a stack runs on before an
    # update (upload.restore_artifact); this is what is left when that was bypassed.
    (
        re.compile(r"GetObject\. S3 Error Code: NoSuch(Key|Bucket)", re.I),
        "the function's zip named by the stack's CodeBucket/CodeKey is gone from S3 (the artifact bucket's "
        "lifecycle rule deletes zips no deploy touched for 90 days): put it back (aws lambda get-function "
        "--function-name <FunctionName output> --query Code.Location, download that URL, aws s3 cp it to the "
        "stack's CodeKey), or run this command, which restores it before updating",
    ),
    # Cognito: "The user pool cannot be deleted because deletion protection is activated. Deletion
    # protection must be inactivated first." (localstack/localstack#11947, quoting the AWS CLI)
    (
        re.compile(r"deletion protection is activated", re.I),
        "the user pool has deletion protection on; turn it off first (Cognito console: the pool, Settings, "
        "Deletion protection), then delete again; the stack keeps the pool on delete anyway (docs/deploy.md, "
        "Teardown)",
    ),
    (
        re.compile(r"ROLLBACK_COMPLETE", re.I),
        "the stack's first creation failed and it can only be deleted: "
        "aws cloudformation delete-stack --stack-name {stack} --region us-east-1, then run this again",
    ),
    (
        re.compile(r"replicated function|replicas", re.I),
        "Lambda@Edge replicas of the function still exist; CloudFront removes them within a few "
        "hours of the association going away: wait, then retry",
    ),
    # CloudFront: "One or more aliases specified for the distribution includes an incorrectly
    # configured DNS record that points to another CloudFront distribution" (CNAMEs.html,
    # requirements for alternate domain names). Before the $LATEST/alias hint, which says "alias".
    (
        re.compile(r"points to another CloudFront distribution|incorrectly configured DNS record", re.I),
        "the alias's DNS record still points at another CloudFront distribution; CloudFront refuses the alias "
        "until it does not: point the DNS record (CNAME or Route 53 alias) at this stack's DistributionDomainName, "
        "or remove it for the change, then run this again (docs/deploy.md, Moving a domain)",
    ),
    (
        re.compile(r"CNAMEAlreadyExists|CNAMEs you provided are already associated", re.I),
        "an alias is already used by another CloudFront distribution; remove it there first or choose another --alias",
    ),
    (
        re.compile(r"certificate", re.I),
        "the ACM certificate must be in us-east-1, issued (validated) and cover every --alias",
    ),
    # Cognito CreateUserPoolDomain: "Domain already associated with another user pool."
    # (InvalidParameterException; serverless/serverless#10135). deploy.py checks the prefix with
    # DescribeUserPoolDomain before creating anything (preflight.py); this is the race that is left.
    (
        re.compile(r"Domain already (exists|associated)|domain.*(is|already) (taken|in use)", re.I),
        "the Cognito hosted-UI domain prefix is taken (prefixes are unique across all AWS accounts in the "
        "region); choose another --cognito-domain-prefix",
    ),
    (
        re.compile(r"already exists", re.I),
        "a resource of that name is left from an earlier attempt (a Lambda@Edge function cannot be deleted for "
        "hours after it was replicated): delete it, or if it cannot be deleted yet, delete the stack with "
        "aws cloudformation delete-stack --stack-name {stack} --region us-east-1 --retain-resources <it>, then run "
        "this again (the stack names its resources anew)",
    ),
    (
        re.compile(r"redirect_mismatch|callback ?url|CallbackURLs|LogoutURLs|logout ?url", re.I),
        "the Cognito app client's callback/sign-out URLs must be exactly https://<site>/_gate/callback "
        "and https://<site>/_gate/signed-out (otherwise sign-in fails with redirect_mismatch)",
    ),
    (
        re.compile(r"edgelambda", re.I),
        "the function's role must trust both lambda.amazonaws.com and edgelambda.amazonaws.com",
    ),
    (
        re.compile(r"must be in region|region 'us-east-1'|us-east-1 region", re.I),
        "Lambda@Edge functions must be in us-east-1",
    ),
    (
        re.compile(r"environment variables", re.I),
        "Lambda@Edge functions cannot have environment variables; remove them from the function",
    ),
    (
        re.compile(r"\$LATEST|qualified|function alias|alias ARN|LambdaFunctionARN", re.I),
        "associate a numbered function version ARN (ending in :<number>), never $LATEST or an alias",
    ),
    (
        re.compile(r"cannot be assumed", re.I),
        "the new IAM role is not usable yet (IAM takes a few seconds); run the command again",
    ),
]


def hint_for(message: str, stack: str = "<stack>") -> str:
    for pattern, hint in HINTS:
        if pattern.search(message):
            return hint.format(stack=stack)
    return ""


CREDENTIAL_CODES = {
    "ExpiredToken": "your AWS credentials have expired; refresh them (e.g. aws sso login, or a new session token)",
    "ExpiredTokenException": "your AWS credentials have expired; refresh them (e.g. aws sso login, or a new session token)",
    "RequestExpired": "your AWS credentials have expired or the clock is wrong; refresh them and check the time",
    "InvalidClientTokenId": "AWS does not recognise these credentials; check AWS_PROFILE / `aws configure` (aws sts get-caller-identity should work)",
    "UnrecognizedClientException": "AWS does not recognise these credentials; check AWS_PROFILE / `aws configure` (aws sts get-caller-identity should work)",
    "SignatureDoesNotMatch": "the AWS secret access key is wrong; check `aws configure` or AWS_SECRET_ACCESS_KEY",
    "InvalidAccessKeyId": "the AWS access key id is not valid; check `aws configure` or AWS_ACCESS_KEY_ID",
}
ACCESS_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "UnauthorizedAccess",
    "Forbidden",
}


def explain(exc: BaseException, stack: str = "<stack>") -> str:
    """One line for an exception raised by boto3/botocore (or a DeployError)."""
    if isinstance(exc, DeployError):
        return str(exc)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return (
            "no AWS credentials found; run `aws configure` (or `aws sso login`), or set AWS_PROFILE "
            "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then run this again"
        )
    if isinstance(exc, ProfileNotFound):
        return f"{exc}; check AWS_PROFILE / --profile against ~/.aws/config"
    if isinstance(exc, NoRegionError):
        return "no AWS region set; this command always uses us-east-1 (Lambda@Edge), pass --region us-east-1"
    if isinstance(exc, EndpointConnectionError):
        return f"cannot reach AWS ({exc}); check the network connection or proxy settings"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "") or str(exc)
        operation = getattr(exc, "operation_name", "") or "the request"
        if code in CREDENTIAL_CODES:
            return CREDENTIAL_CODES[code]
        if code in ACCESS_CODES:
            hint = hint_for(message, stack)
            if hint:
                return f"AWS refused {operation}: {message}; {hint}".replace("\n", " ")
            return (
                f"AWS refused {operation}: {message}; the identity you deploy with needs permission for it "
                "(see docs/deploy.md, Prerequisites)"
            )
        if code == "BucketAlreadyExists":
            return f"{message}; bucket names are global, pass --artifact-bucket with a name of your own"
        if code == "ValidationError" and "does not exist" in message:
            return f"{message}; check --stack-name (and that you use the account and us-east-1 it was deployed to)"
        if "is in ROLLBACK_COMPLETE state" in message:
            return f"stack {stack} is in ROLLBACK_COMPLETE: " + hint_for("ROLLBACK_COMPLETE", stack)
        if "_IN_PROGRESS state" in message:
            return f"{message}; wait for the stack's current operation to finish, then run this again"
        hint = hint_for(message, stack)
        line = f"{operation} failed: {code}: {message}".replace("\n", " ")
        return f"{line}; {hint}" if hint else line
    if isinstance(exc, BotoCoreError):
        return f"AWS client error: {exc}"
    return f"{type(exc).__name__}: {exc}"
