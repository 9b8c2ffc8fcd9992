"""A model of what CloudFormation does with cloudformation.yaml's function, version and
distribution, on top of moto's real Lambda, IAM and S3, for the deploy tests.

Why a model: moto's CloudFormation neither creates CloudFront distributions nor publishes a new
AWS::Lambda::Version when CodeSha256 changes (it updates $LATEST only, and `Ref` of the version
gives its logical id, not an ARN). Real behaviour, per the AWS documentation:

- AWS::Lambda::Version (CloudFormation template reference): every property, CodeSha256 included,
  is "Update requires: Replacement", so a new CodeSha256 makes CloudFormation publish a *new*
  version; `Ref` returns the version's ARN, e.g. arn:aws:lambda:...:function:name:3. With
  DeletionPolicy/UpdateReplacePolicy Retain the old version stays.
- PublishVersion (Lambda API reference): CodeSha256 "Only publish a version if the hash value
  matches the value that's specified" (else PreconditionFailedException); version numbers only
  grow ("Lambda function versions", Lambda developer guide: a published version is immutable).
- AWS::Lambda::Function: a changed Code.S3Key updates the function's code ($LATEST) in place.
- UpdateStack with nothing changed fails with ValidationError "No updates are to be performed."
- AWS::CloudFront::Distribution: LambdaFunctionARN: !Ref GateVersion follows the new version, and
  the stack update completes once the distribution is deployed.
"""

from __future__ import annotations

import datetime as dt
import itertools

import boto3
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
DISTRIBUTION = "E2MODEL0000001"


def _error(code: str, message: str, operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation
    )


class EdgeStackModel:
    """Stands in for the cloudformation and cloudfront clients of gatebuild.deploy.Clients."""

    def __init__(self):
        self.lam = boto3.client("lambda", region_name="us-east-1")
        self.iam = boto3.client("iam", region_name="us-east-1")
        self.s3 = boto3.client("s3", region_name="us-east-1")
        self.stacks: dict[str, dict] = {}
        self.events: dict[str, list[dict]] = {}
        self._ids = itertools.count(1)
        self.association: str | None = None  # the distribution's viewer-request LambdaFunctionARN
        self.published: list[str] = []  # version ARNs, in publishing order
        self.invalidations: list[list[str]] = []
        # (association, callback URLs the app client allows) at every moment a viewer could see:
        # the template's UserPoolClient lists https://<first alias or cloudfront domain>/_gate/callback
        # and, while set, <PreviousSiteUrl>/_gate/callback
        self.history: list[tuple[str | None, tuple[str, ...]]] = []
        self.callbacks: tuple[str, ...] = ()

    @staticmethod
    def site_url(params: dict) -> str:
        aliases = [a for a in (params.get("Aliases") or "").split(",") if a]
        return f"https://{aliases[0]}" if aliases else "https://d111111abcdef8.cloudfront.net"

    def _client_urls(self, params: dict) -> None:
        urls = [self.site_url(params) + "/_gate/callback"]
        if params.get("PreviousSiteUrl"):
            urls.append(params["PreviousSiteUrl"] + "/_gate/callback")
        self.callbacks = tuple(urls)
        self.history.append((self.association, self.callbacks))

    # ------------------------------------------------------------------ cloudformation
    def _event(self, name: str, resource: str, status: str, kind: str) -> None:
        n = next(self._ids)
        self.events.setdefault(name, []).insert(
            0,
            {
                "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/1",
                "EventId": f"ev-{n}",
                "StackName": name,
                "LogicalResourceId": resource,
                "ResourceType": kind,
                "ResourceStatus": status,
                "Timestamp": dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=n),
            },
        )

    def describe_stacks(self, StackName):
        if StackName not in self.stacks:
            raise _error("ValidationError", f"Stack with id {StackName} does not exist", "DescribeStacks")
        return {"Stacks": [self.stacks[StackName]]}

    def describe_stack_events(self, StackName, NextToken=None):
        return {"StackEvents": list(self.events.get(StackName, []))}

    def create_stack(self, StackName, TemplateBody, Parameters, Capabilities, Tags=None):
        params = {p["ParameterKey"]: p["ParameterValue"] for p in Parameters}
        self._event(StackName, StackName, "CREATE_IN_PROGRESS", "AWS::CloudFormation::Stack")
        bucket = f"{StackName}-sitebucket-model"
        self.s3.create_bucket(Bucket=bucket)
        role = self.iam.create_role(RoleName=f"{StackName}-GateRole-MODEL", AssumeRolePolicyDocument="{}")["Role"]
        function = f"{StackName}-GateFunction-MODEL"  # CloudFormation names it: no fixed FunctionName
        code = self._code(params)
        self.lam.create_function(
            FunctionName=function,
            Runtime="python3.13",
            Handler="edge.handler.handler",
            Role=role["Arn"],
            Code={"ZipFile": code},
            MemorySize=128,
            Timeout=5,
        )
        version = self._publish(function, params["CodeSha256"])
        self._event(StackName, "GateVersion", "CREATE_COMPLETE", "AWS::Lambda::Version")
        self.association = version
        self._client_urls(params)
        self._event(StackName, "Distribution", "CREATE_COMPLETE", "AWS::CloudFront::Distribution")
        self._event(StackName, StackName, "CREATE_COMPLETE", "AWS::CloudFormation::Stack")
        self.stacks[StackName] = self._describe(StackName, "CREATE_COMPLETE", params, bucket, function, version)
        return {"StackId": self.stacks[StackName]["StackId"]}

    def update_stack(self, StackName, TemplateBody, Parameters, Capabilities):
        stack = self.stacks[StackName]
        old = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
        params = {p["ParameterKey"]: p["ParameterValue"] for p in Parameters}
        if params == old:
            raise _error("ValidationError", "No updates are to be performed.", "UpdateStack")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        function, version = outputs["FunctionName"], outputs["FunctionVersionArn"]
        self._event(StackName, StackName, "UPDATE_IN_PROGRESS", "AWS::CloudFormation::Stack")
        self._client_urls(params)  # the app client may change before the distribution has deployed
        if params.get("CodeKey") != old.get("CodeKey"):
            self.lam.update_function_code(FunctionName=function, ZipFile=self._code(params))
        if params.get("CodeSha256") != old.get("CodeSha256"):  # Update requires: Replacement
            version = self._publish(function, params["CodeSha256"])
            self._event(StackName, "GateVersion", "CREATE_COMPLETE", "AWS::Lambda::Version")
            self.association = version  # !Ref GateVersion moves
            self.history.append((version, self.callbacks))
            self._event(StackName, "Distribution", "UPDATE_COMPLETE", "AWS::CloudFront::Distribution")
        self._event(StackName, StackName, "UPDATE_COMPLETE", "AWS::CloudFormation::Stack")
        self.stacks[StackName] = self._describe(
            StackName, "UPDATE_COMPLETE", params, outputs["BucketName"], function, version
        )
        return {"StackId": stack["StackId"]}

    def _code(self, params: dict) -> bytes:
        return self.s3.get_object(Bucket=params["CodeBucket"], Key=params["CodeKey"])["Body"].read()

    def _publish(self, function: str, code_sha256: str) -> str:
        current = self.lam.get_function_configuration(FunctionName=function)["CodeSha256"]
        if current != code_sha256:
            raise _error(
                "PreconditionFailedException", "CodeSha256 does not match the function's code", "PublishVersion"
            )
        arn = self.lam.publish_version(FunctionName=function, CodeSha256=code_sha256)["FunctionArn"]
        self.published.append(arn)
        return arn

    def _describe(self, name, status, params, bucket, function, version) -> dict:
        outputs = {
            "SiteUrl": self.site_url(params),
            "DistributionId": DISTRIBUTION,
            "DistributionDomainName": "d111111abcdef8.cloudfront.net",
            "BucketName": bucket,
            "FunctionName": function,
            "FunctionVersionArn": version,
        }
        return {
            "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/1",
            "StackName": name,
            "StackStatus": status,
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
        }

    # ------------------------------------------------------------------ cloudfront
    def get_distribution_config(self, Id):
        """cloudformation.yaml's distribution with the stack's parameters (local/distribution.py,
        the reader the emulator uses), its viewer requests on the current version."""
        from local import distribution as cf

        (params,) = [s["Parameters"] for s in self.stacks.values()] or [[]]
        config = cf.api_distribution_config(cf.load(), params, {"GateVersion": self.association or ""})
        return {"ETag": "E1", "DistributionConfig": {"CallerReference": "model", **config}}

    def create_invalidation(self, DistributionId, InvalidationBatch):
        self.invalidations.append(InvalidationBatch["Paths"]["Items"])
        return {"Invalidation": {"Id": f"I{len(self.invalidations)}"}}
