"""No address of the site redirects to a host the request names, and
OPTIONS gets the 405 of every other method a route does not take
(issue 13, item 11)."""
from __future__ import annotations

import pytest

from support import EXPECTED_HEADERS

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"
# Paths Werkzeug would tidy with a redirect: doubled slashes, an encoded
# slash in an article id, on every route.
UNTIDY = ["/api//search", "/api//articles", f"/api/articles/%2F{SEED_ID}",
          f"/api/articles/{SEED_ID}%2F", "/static//style.css", f"/articles/%2F{SEED_ID}",
          f"/articles//{SEED_ID}", "/search//", "/api/articles/%2F..%2F..%2Fetc%2Fpasswd"]


@pytest.mark.parametrize("path", UNTIDY)
def test_no_path_redirects_to_the_host_the_request_names(client, path):
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert "Location" not in response.headers
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name


@pytest.mark.parametrize("path, json", [("/", False), ("/api/search?q=leg", True),
                                        ("/static/style.css", False)])
def test_options_is_a_405_like_any_method_a_route_does_not_take(client, path, json):
    response = client.open(path, method="OPTIONS")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}
    if json:
        assert response.get_json()["error"]["status"] == 405
    else:
        assert response.mimetype == "text/html"
