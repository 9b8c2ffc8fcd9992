"""The boto3 clients the deploy commands use, all in us-east-1, created lazily.

Tests replace any of them (e.g. with a client wrapped in botocore's Stubber) by passing it in.
"""

from __future__ import annotations

from botocore.config import Config as BotoConfig

from . import EDGE_REGION

SERVICES = ("cloudformation", "s3", "lambda", "iam", "sts", "cloudfront", "cognito-idp", "ssm", "logs")


class Clients:
    def __init__(self, session=None, region: str = EDGE_REGION, **given):
        self._session = session
        self.region = region
        self._clients = {_service(name): client for name, client in given.items()}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        service = _service(name)
        if service not in SERVICES:
            raise AttributeError(name)
        if service not in self._clients:
            if self._session is None:
                import boto3

                self._session = boto3.Session()
            config = BotoConfig(retries={"max_attempts": 8, "mode": "standard"})
            self._clients[service] = self._session.client(service, region_name=self.region, config=config)
        return self._clients[service]

    def get(self, service: str):
        return getattr(self, service)

    def available_regions(self, service: str) -> list[str]:
        """Regions the SDK knows for a service (some may not be enabled for the account)."""
        if self._session is None:
            import boto3

            self._session = boto3.Session()
        try:
            return sorted(self._session.get_available_regions(service))
        except Exception:
            return []

    def regional(self, service: str, region: str):
        """A client for `service` in another region (e.g. a Cognito pool outside us-east-1)."""
        if region == self.region:
            return self.get(service)
        key = f"{service}@{region}"
        if key not in self._clients:
            if self._session is None:
                import boto3

                self._session = boto3.Session()
            self._clients[key] = self._session.client(service, region_name=region)
        return self._clients[key]


def _service(name: str) -> str:
    """Attribute or keyword name -> service name: lambda_ -> lambda, cognito_idp -> cognito-idp."""
    return name.rstrip("_").replace("_", "-")
