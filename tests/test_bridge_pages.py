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
    context = page_context(await (await untrusted.get("/blockattack/", headers=headers)).text())
    assert context["share_base"] == f"http://{host_of(untrusted)}/blockattack/"

    trusted = await make_client(base_path="/blockattack/", trust_proxy=True)
    context = page_context(await (await trusted.get("/blockattack/", headers=headers)).text())
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
    client = await make_client(public_url="https://example.com/ba/", trust_proxy=True)
    response = await client.get("/", headers={"X-Forwarded-Host": "other.example"})
    context = page_context(await response.text())
    assert context["share_base"] == "https://example.com/ba/"
    assert context["ws_path"] == "/ba/ws"


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
