"""Stand-ins shared by the tests and the benchmark (not test code, so bench/ need not import tests/):
CloudFront viewer-request events (cloudfront), an IdP's keys and tokens (tokens), and a real
OAuth token and JWKS endpoint on 127.0.0.1 (idp_server).
"""
