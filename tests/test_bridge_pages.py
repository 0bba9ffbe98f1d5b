"""The bridge's HTTP side: pages, static files, security headers, proxy headers."""

from __future__ import annotations

from typing import Any

import aiohttp
import aiohttp_jinja2
import pytest

from bridge.app import SECURITY_HEADERS, init_app
from bridge.settings import BridgeSettings
from tests.conftest import STATIC_TEXT, ClientFactory, FakeServer, host_of, page_context

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _assert_security_headers(response: aiohttp.ClientResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


async def test_index_page_renders_the_context_with_security_headers(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    response = await client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    _assert_security_headers(response)
    assert response.headers["Content-Security-Policy"] == EXPECTED_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert page_context(await response.text()) == {
        "base_path": "/",
        "game_name": None,
        "share_base": f"http://{host_of(client)}/",
        "static_url": "/static/",
        "ws_path": "/ws",
    }
    assert aiohttp_jinja2.get_env(client.app).autoescape is True


async def test_match_page_names_the_game(make_client: ClientFactory) -> None:
    client = await make_client()
    response = await client.get("/m/Xk3_a-Z09")
    assert response.status == 200
    assert page_context(await response.text())["game_name"] == "Xk3_a-Z09"


@pytest.mark.parametrize(
    "path", ["/m/", "/m/a.b", "/m/" + "a" * 65, "/m/%3Cscript%3E", "/m/a/b", "/m/a%20b"]
)
async def test_match_page_with_a_bad_game_name_is_404(
    make_client: ClientFactory, path: str
) -> None:
    client = await make_client()
    response = await client.get(path)
    assert response.status == 404


async def test_everything_lives_under_the_base_path(make_client: ClientFactory) -> None:
    client = await make_client(base_path="blockattack")
    assert (await client.get("/")).status == 404
    assert (await client.get("/static/test.txt")).status == 404
    page = await client.get("/blockattack/m/game1")
    assert page_context(await page.text()) == {
        "base_path": "/blockattack/",
        "game_name": "game1",
        "share_base": f"http://{host_of(client)}/blockattack/",
        "static_url": "/blockattack/static/",
        "ws_path": "/blockattack/ws",
    }
    static = await client.get("/blockattack/static/test.txt")
    assert static.status == 200 and await static.text() == STATIC_TEXT
    _assert_security_headers(static)
    health = await client.get("/blockattack/healthz")
    assert health.status == 200 and await health.text() == "ok"
    redirect = await client.get("/blockattack", allow_redirects=False)
    assert redirect.status == 308 and redirect.headers["Location"] == "/blockattack/"


async def test_static_files_do_not_leave_the_static_dir(make_client: ClientFactory) -> None:
    client = await make_client()
    for path in ["/static/../web/index.html", "/static/%2e%2e/web/index.html", "/static/"]:
        response = await client.get(path)
        assert response.status in (403, 404), path


async def test_forwarded_headers_count_only_from_a_trusted_proxy(
    make_client: ClientFactory,
) -> None:
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "client-lie.example, example.com",
        "X-Forwarded-Prefix": "/games/blockattack",
    }
    untrusted = await make_client(base_path="/blockattack/")
    page = await untrusted.get("/blockattack/", headers=headers)
    context = page_context(await page.text())
    assert context["share_base"] == f"http://{host_of(untrusted)}/blockattack/"
    assert "Vary" not in page.headers  # nothing forwarded counts: the path says it all

    trusted = await make_client(base_path="/blockattack/", trust_proxy=True,
                                allowed_hosts=("example.com",))
    page = await trusted.get("/blockattack/", headers=headers)
    context = page_context(await page.text())
    # A cache in front must not hand this page to a request with other forwarded headers.
    assert page.headers["Vary"] == "Host, X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Prefix"
    redirect = await trusted.get("/blockattack", headers=headers, allow_redirects=False)
    assert redirect.status == 308 and redirect.headers["Location"] == "/games/blockattack/"
    assert "X-Forwarded-Prefix" in redirect.headers["Vary"]
    assert context == {
        "base_path": "/games/blockattack/",
        "game_name": None,
        "share_base": "https://example.com/games/blockattack/",
        "static_url": "/games/blockattack/static/",
        "ws_path": "/games/blockattack/ws",
    }


@pytest.mark.parametrize(
    "headers",
    [{"X-Forwarded-Host": "evil.example/<script>"}, {"X-Forwarded-Proto": "javascript"},
     {"X-Forwarded-Prefix": "/../x"}],
)
async def test_nonsense_forwarded_headers_are_a_bad_request(
    make_client: ClientFactory, headers: dict[str, str]
) -> None:
    client = await make_client(trust_proxy=True)
    response = await client.get("/", headers=headers)
    assert response.status == 400
    assert "bad request" in await response.text()


async def test_public_url_overrides_the_request(make_client: ClientFactory) -> None:
    client = await make_client(public_url="https://example.com/ba/", trust_proxy=True,
                               allowed_hosts=("other.example",))
    response = await client.get("/", headers={"X-Forwarded-Host": "other.example",
                                              "X-Forwarded-Prefix": "/elsewhere/"})
    context = page_context(await response.text())
    assert context["share_base"] == "https://example.com/ba/"
    assert context["ws_path"] == "/ba/ws"
    assert "Vary" not in response.headers  # the page no longer depends on the request


# -- allowed hosts: DNS rebinding ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/m/game1", "/static/test.txt", "/ws"])
async def test_a_request_for_another_host_is_misdirected(
    make_client: ClientFactory, path: str
) -> None:
    """A DNS-rebinding page (evil.example resolving to this machine) reaches the bridge with
    its own name in Host: it gets 421 and a short body, never the site."""
    client = await make_client()
    port = client.port
    for host in ["evil.example", f"evil.example:{port}", "127.0.0.1.evil.example"]:
        response = await client.get(path, headers={"Host": host})
        assert response.status == 421, host
        text = await response.text()
        assert "misdirected request" in text and "--allowed-hosts" in text and len(text) < 300


async def test_allowed_hosts_and_local_names_are_served(make_client: ClientFactory) -> None:
    client = await make_client(allowed_hosts=("Games.Example.org",))
    port = client.port
    for host in ["games.example.org", f"GAMES.example.org:{port}", f"localhost:{port}",
                 f"127.0.0.1:{port}", f"[::1]:{port}"]:
        response = await client.get("/", headers={"Host": host})
        assert response.status == 200, host
    assert (await client.get("/", headers={"Host": "a b"})).status == 400


async def test_behind_a_proxy_the_forwarded_host_must_be_allowed_too(
    make_client: ClientFactory,
) -> None:
    client = await make_client(trust_proxy=True, allowed_hosts=("example.com",))
    allowed = await client.get("/", headers={"X-Forwarded-Host": "example.com"})
    assert allowed.status == 200
    rebound = await client.get("/", headers={"X-Forwarded-Host": "evil.example"})
    assert rebound.status == 421
    # Without --trust-proxy the header means nothing, so it refuses nothing either.
    direct = await make_client()
    assert (await direct.get("/", headers={"X-Forwarded-Host": "evil.example"})).status == 200


async def test_health_checks_answer_under_any_host(make_client: ClientFactory) -> None:
    # Load balancers and probes name the bridge by whatever address they reach it at.
    client = await make_client()
    response = await client.get("/healthz", headers={"Host": "10.1.2.3:8080"})
    assert response.status == 200 and await response.text() == "ok"


async def test_the_real_page_and_scripts_are_served(
    aiohttp_client: Any, fake_server: FakeServer
) -> None:
    client = await aiohttp_client(
        init_app(BridgeSettings(server=fake_server.address, base_path="/ba/"))
    )
    page = await client.get("/ba/m/Xk3game")
    assert page.status == 200
    html = await page.text()
    assert f"http://{host_of(client)}/ba/" in html and "Xk3game" in html
    script = await client.get("/ba/static/js/main.js")
    assert script.status == 200
    # With nosniff, a module script must come with a JavaScript type or the browser refuses it.
    assert script.content_type in ("text/javascript", "application/javascript")


async def test_the_replay_page_is_served_under_the_base_path(
    aiohttp_client: Any, fake_server: FakeServer
) -> None:
    client = await aiohttp_client(
        init_app(BridgeSettings(server=fake_server.address, base_path="/ba/"))
    )
    page = await client.get("/ba/replay?game=Xk3game")
    assert page.status == 200
    _assert_security_headers(page)
    html = await page.text()
    # its own script and style, not the game's, and the base path for the replay fetches
    assert '<script type="module" src="/ba/static/js/replay/page.js">' in html
    assert "/ba/static/js/main.js" not in html
    assert 'href="/ba/static/css/replay.css"' in html
    assert 'data-base-path="/ba/"' in html
    assert 'id="replay-file" type="file"' in html
    for path in ("js/replay/page.js", "css/replay.css"):
        assert (await client.get("/ba/static/" + path)).status == 200, path
    assert (await client.get("/replay")).status == 404
