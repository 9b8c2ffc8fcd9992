"""bench/pageview.py (issue 23): invocations per page view come from cloudformation.yaml's own
behaviors; with signed cookies no asset runs the function, and the cost follows the count."""

from bench import pageview


def test_signed_cookies_leave_only_the_page_and_the_gates_endpoints():
    requests = pageview.synthetic_requests(30)
    assert pageview.invocations(requests, signed=False) == len(requests) == 32
    assert pageview.invocations(requests, signed=True) == 2
    demo = pageview.demo_requests()
    assert any(path.startswith("/assets/") for path in demo) and demo[-1] == "/_gate/me"
    assert pageview.invocations(demo, signed=True) == len([p for p in demo if not p.startswith("/assets/")])


def test_cost_is_linear_in_invocations():
    one = pageview.cost_per_million(1, 1)
    assert abs(pageview.cost_per_million(30, 1)["lambda_edge"] - 30 * one["lambda_edge"]) < 1e-9
    assert one["lambda_edge"] > pageview.LAMBDA_EDGE_PER_MILLION  # requests plus duration
