"""Type aliases for the checker only: imported under `if TYPE_CHECKING:` (a module-level
`TYPE_CHECKING = False`, so that not even `typing` is imported at run time on the request path).
"""

from typing import Any

Claims = dict[str, Any]  # a verified token's claims (JSON)
Json = dict[str, Any]  # any JSON object (a token endpoint's answer, a JWKS, a JWK)
CfRequest = dict[str, Any]  # CloudFront's request dict (Records[0].cf.request)
CfResponse = dict[str, Any]  # a generated response in CloudFront's shape
Headers = dict[str, Any]  # CloudFront headers: lowercase name -> [{"key", "value"}]
