"""CloudFront's path pattern matching, shared by the local emulator (local/distribution.py) and
`deploy.py status` (gatebuild/deploy/status.py).

Behaviors are matched in the order they are listed, the default (`*`) last; a pattern is
case-sensitive, `*` matches 0 or more characters (slashes too), `?` exactly one, and a leading
"/" makes no difference. The path is the viewer's, without the query string.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern
https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CacheBehavior.html (PathPattern)
"""

from __future__ import annotations

import re


def pattern_regex(pattern: str) -> re.Pattern[str]:
    body = pattern[1:] if pattern.startswith("/") else pattern
    parts = ["/"]
    for char in body:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def path_matches(pattern: str, path: str) -> bool:
    if pattern == "*":
        return True
    return pattern_regex(pattern).fullmatch(path) is not None
