"""Links as players paste them: trailing punctuation still works; anything else is a styled 404."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.app import init_app
from bridge.settings import BridgeSettings
from tests.conftest import FakeServer


@pytest.fixture
async def real_site(aiohttp_client: Any, fake_server: FakeServer) -> Any:
    """The bridge with the project's own templates, under a base path."""
    return await aiohttp_client(
        init_app(BridgeSettings(server=fake_server.address, base_path="/ba/"))
    )


@pytest.mark.parametrize("tail", [".", ")", "/", "./", ").", "..."])
async def test_a_link_with_trailing_punctuation_goes_to_its_match(
    real_site: Any, tail: str
) -> None:
    response = await real_site.get("/ba/m/Xk3game" + tail, allow_redirects=False)
    assert response.status == 308
    assert response.headers["Location"] == "/ba/m/Xk3game"
    followed = await real_site.get("/ba/m/Xk3game" + tail)
    assert followed.status == 200 and 'data-game-name="Xk3game"' in await followed.text()


@pytest.mark.parametrize(
    "path", ["/ba/nope", "/ba/m/", "/ba/m/a/b", "/ba/m/a.b", "/elsewhere"]
)
async def test_an_unknown_path_is_a_styled_404_with_a_way_home(real_site: Any, path: str) -> None:
    response = await real_site.get(path)
    assert response.status == 404
    html = await response.text()
    assert "<title>Not found · Block Attack</title>" in html
    assert 'id="not-found-home" class="button primary" href="/ba/"' in html
    assert 'href="/ba/static/css/style.css"' in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
