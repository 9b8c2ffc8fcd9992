"""CloudFront viewer-request events exactly as CloudFront shapes them, and a cookie-keeping browser."""

from __future__ import annotations

import copy
from urllib.parse import parse_qs, urlsplit

HOST = "d111111abcdef8.cloudfront.net"


def event(
    uri: str = "/",
    querystring: str = "",
    *,
    method: str = "GET",
    headers: dict | None = None,
    cookies: list[str] | None = None,
    host: str = HOST,
) -> dict:
    all_headers = {
        "host": [{"key": "Host", "value": host}],
        "user-agent": [{"key": "User-Agent", "value": "Mozilla/5.0"}],
    }
    for name, value in (headers or {}).items():
        all_headers[name.lower()] = [{"key": name, "value": value}]
    if cookies:
        all_headers["cookie"] = [{"key": "Cookie", "value": c} for c in cookies]
    return {
        "Records": [
            {
                "cf": {
                    "config": {
                        "distributionDomainName": host,
                        "distributionId": "EDFDVBD6EXAMPLE",
                        "eventType": "viewer-request",
                        "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
                    },
                    "request": {
                        "clientIp": "203.0.113.178",
                        "method": method,
                        "uri": uri,
                        "querystring": querystring,
                        "headers": all_headers,
                    },
                }
            }
        ]
    }


NAVIGATE = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
}
ASSET = {"Accept": "*/*", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}
FETCH_JSON = {"Accept": "application/json", "Sec-Fetch-Mode": "cors"}


def is_response(result: dict) -> bool:
    return "status" in result


def header(result: dict, name: str) -> str | None:
    entries = result.get("headers", {}).get(name.lower())
    return entries[0]["value"] if entries else None


def set_cookies(result: dict) -> list[str]:
    return [e["value"] for e in result.get("headers", {}).get("set-cookie", [])]


def location_query(result: dict) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(header(result, "location")).query).items()}


class Browser:
    """Keeps cookies the way a browser does (Max-Age=0 deletes) and talks to the handler."""

    def __init__(self, handler):
        self.handler = handler
        self.jar: dict[str, str] = {}
        self.history: list[dict] = []

    def cookie_header(self) -> list[str]:
        return ["; ".join(f"{k}={v}" for k, v in self.jar.items())] if self.jar else []

    def request(
        self,
        uri: str,
        querystring: str = "",
        headers: dict | None = None,
        method: str = "GET",
        extra_cookies: list[str] | None = None,
    ) -> dict:
        ev = event(
            uri,
            querystring,
            method=method,
            headers=NAVIGATE if headers is None else headers,
            cookies=self.cookie_header() + (extra_cookies or []),
        )
        original = copy.deepcopy(ev["Records"][0]["cf"]["request"])
        result = self.handler(ev, None)
        self.history.append({"request": original, "result": result})
        for line in set_cookies(result):
            pair, *attributes = line.split("; ")
            name, _, value = pair.partition("=")
            if any(a == "Max-Age=0" for a in attributes):
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return result

    def get(self, target: str, headers: dict | None = None) -> dict:
        path, _, query = target.partition("?")
        return self.request(path, query, headers)
