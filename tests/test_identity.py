"""The campaign's face outside its pages, the reader's text size, and compressed answers."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from html import unescape

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from quizzes.library import Library
from tests.conftest import make_app
from webapp.compression import MIN_SIZE, compress
from webapp.identity import ICONS

#: the residents' main pages, each with a description of its own
RESIDENT_PAGES = ["/", "/lessons", "/lessons/oil-pan-fire", "/quizzes", "/volunteer"]


def meta(page: str, attribute: str, name: str) -> str | None:
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    return unescape(found.group(1)) if found else None


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<link rel="{rel}" href="([^"]*)"', page)
    return unescape(found.group(1)) if found else None


# the manifest


def test_the_manifest_makes_the_site_installable(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "全民消防 生命至上" and manifest["short_name"] and manifest["description"]
    assert manifest["lang"] == "zh-Hans"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    icons = {(icon["sizes"], icon["purpose"]): icon for icon in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png" and icon["src"].startswith("/static/icons/")


def test_the_manifest_speaks_the_page_language(client: FlaskClient) -> None:
    english = json.loads(client.get("/manifest.webmanifest?lang=en").get_data(as_text=True))
    assert english["lang"] == "en" and english["name"] == "Fire Safety for Everyone"
    assert "119" in english["description"]
    # each page points at the manifest of its own language
    assert link(client.get("/lessons?lang=en").get_data(as_text=True), "manifest") == "/manifest.webmanifest?lang=en"
    assert link(client.get("/lessons?lang=zh_Hans").get_data(as_text=True), "manifest") == (
        "/manifest.webmanifest?lang=zh_Hans"
    )


def test_the_icons_the_pages_and_manifest_name_are_served(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    named = [link(page, "icon"), link(page, "apple-touch-icon"), *(f"/static/{path}" for path, _s, _p in ICONS)]
    named.append(meta(page, "property", "og:image"))
    for url in named:
        assert url, page[:2000]
        with client.get(url.removeprefix("http://localhost")) as response:
            assert response.status_code == 200, url
    assert 'type="image/svg+xml"' in page and "favicon.svg" in link(page, "icon")


# what every page says of itself


@pytest.mark.parametrize("path", RESIDENT_PAGES)
def test_every_resident_page_describes_itself(client: FlaskClient, path: str) -> None:
    page = client.get(path).get_data(as_text=True)
    description = meta(page, "name", "description")
    assert description and len(description) >= 20
    assert meta(page, "property", "og:description") == description
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert meta(page, "property", "og:title") == unescape(title)
    assert meta(page, "name", "twitter:card") == "summary_large_image"
    assert meta(page, "name", "theme-color")
    assert meta(page, "property", "og:locale") == "zh_CN"


def test_the_descriptions_differ_and_a_lesson_gives_its_summary(client: FlaskClient, library: Library) -> None:
    descriptions = [meta(client.get(path).get_data(as_text=True), "name", "description") for path in RESIDENT_PAGES]
    assert len(set(descriptions)) == len(descriptions)
    lesson = library.catalog.lesson("oil-pan-fire", "zh_Hans")
    page = client.get("/lessons/oil-pan-fire").get_data(as_text=True)
    assert meta(page, "name", "description") == lesson.summary
    assert meta(page, "property", "og:type") == "article"
    assert meta(client.get("/").get_data(as_text=True), "property", "og:type") == "website"


def test_a_page_without_its_own_description_has_the_campaigns(client: FlaskClient) -> None:
    page = client.get("/offline").get_data(as_text=True)
    assert "119" in meta(page, "name", "description")


def test_share_metadata_is_absolute_and_in_the_page_language(client: FlaskClient) -> None:
    page = client.get("/lessons/oil-pan-fire?lang=en").get_data(as_text=True)
    assert re.fullmatch(r"http://localhost/static/share\.png(\?v=\w+)?", meta(page, "property", "og:image"))
    assert meta(page, "property", "og:locale") == "en_US"
    assert link(page, "canonical") == "http://localhost/lessons/oil-pan-fire?lang=en"
    assert meta(page, "property", "og:url") == link(page, "canonical")
    # English is remembered now; a filter is part of the address, anything else is not
    assert link(client.get("/lessons?topic=escape&x=1").get_data(as_text=True), "canonical") == (
        "http://localhost/lessons?topic=escape&lang=en"
    )


@pytest.fixture()
def public_site(database_uri: str) -> Iterator[FlaskClient]:
    app = make_app(database_uri, PUBLIC_BASE_URL="https://xf.example.gov.cn")
    with app.app_context():
        yield app.test_client()


def test_share_links_are_built_on_the_public_address(public_site: FlaskClient) -> None:
    page = public_site.get("/lessons/oil-pan-fire", headers={"Host": "xf.example.gov.cn"}).get_data(as_text=True)
    assert meta(page, "property", "og:image").startswith("https://xf.example.gov.cn/static/share.png")
    assert link(page, "canonical") == "https://xf.example.gov.cn/lessons/oil-pan-fire"


def test_staff_pages_are_not_canonical(client: FlaskClient) -> None:
    assert link(client.get("/login").get_data(as_text=True), "canonical") is None


def test_robots_keep_crawlers_to_the_residents_pages(client: FlaskClient) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    disallowed = [line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow: ")]
    for path in ("/staff", "/api/", "/login", "/draws/"):
        assert path in disallowed
    for page in ("/", "/lessons", "/lessons/oil-pan-fire", "/quizzes", "/volunteer"):
        assert not any(page.startswith(prefix) for prefix in disallowed), page


# the text size


def test_larger_text_is_remembered_in_a_cookie_and_leads_back(client: FlaskClient) -> None:
    response = client.get("/text-size/large?next=/lessons/oil-pan-fire%3Ftopic%3Descape")
    assert response.status_code == 303
    assert response.headers["Location"] == "/lessons/oil-pan-fire?topic=escape"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("text_size=large;") and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert "HttpOnly" not in cookie  # app.js sets the same cookie
    assert '<html lang="zh-Hans" class="text-large">' in client.get("/lessons").get_data(as_text=True)
    client.get("/text-size/standard?next=/lessons")
    assert '<html lang="zh-Hans">' in client.get("/lessons").get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%5Cevil.example",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
        "/\tevil",
        "",
    ],
)
def test_the_text_size_link_never_leads_off_the_site(client: FlaskClient, target: str) -> None:
    response = client.get("/text-size/large", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert response.headers["Set-Cookie"].startswith("text_size=large;")


def test_only_the_two_text_sizes_exist(client: FlaskClient) -> None:
    assert client.get("/text-size/huge?next=/").status_code == 404


def test_a_kept_lesson_page_is_kept_per_text_size(client: FlaskClient) -> None:
    standard = client.get("/lessons/oil-pan-fire").get_data(as_text=True)
    client.set_cookie("text_size", "large")
    large = client.get("/lessons/oil-pan-fire").get_data(as_text=True)
    client.delete_cookie("text_size")
    again = client.get("/lessons/oil-pan-fire")
    assert 'class="text-large"' not in standard and 'class="text-large"' in large
    assert again.get_data(as_text=True) == standard
    # the browser's own copy is not reused once the cookie changes
    assert "Cookie" in again.headers["Vary"]


def test_the_text_size_links_lead_back_to_this_page(client: FlaskClient) -> None:
    page = client.get("/?q=%E7%BF%A0%E7%AB%B9&lang=zh_Hans").get_data(as_text=True)
    hrefs = [unescape(h) for h in re.findall(r'<a class="text-size[^"]*" href="([^"]+)"', page)]
    here = "/?q%3D%25E7%25BF%25A0%25E7%25AB%25B9"  # the search kept, the language not
    assert hrefs == [f"/text-size/large?next={here}", f"/text-size/standard?next={here}"]
    back = client.get(hrefs[0]).headers["Location"]
    assert back == "/?q=%E7%BF%A0%E7%AB%B9"


# compression


def test_a_lesson_page_is_sent_compressed_when_the_browser_accepts_it(client: FlaskClient) -> None:
    plain = client.get("/lessons/oil-pan-fire")
    packed = client.get("/lessons/oil-pan-fire", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert int(packed.headers["Content-Length"]) == len(packed.get_data()) < len(plain.get_data()) / 2
    assert int(plain.headers["Content-Length"]) == len(plain.get_data())
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
    assert "ETag" not in packed.headers


def test_json_answers_are_compressed_too(client: FlaskClient) -> None:
    response = client.get("/api/v1/lessons", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.get_data()))


def test_a_refused_gzip_and_a_small_answer_are_not_compressed(client: FlaskClient) -> None:
    refused = client.get("/lessons/oil-pan-fire", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers
    small = client.get("/robots.txt", headers={"Accept-Encoding": "gzip"})
    assert len(small.get_data()) < MIN_SIZE
    assert "Content-Encoding" not in small.headers and small.get_data().startswith(b"User-agent")


def test_static_files_are_left_to_whitenoise(client: FlaskClient) -> None:
    page = client.get("/lessons").get_data(as_text=True)
    css = link(page, "stylesheet")
    with client.get(css, headers={"Accept-Encoding": "gzip"}) as response:
        # whitenoise's own copy, compressed at install time: compressed once, not twice
        assert response.headers.get("Content-Encoding") == "gzip"
        assert gzip.decompress(response.get_data()).startswith(b"/*")


def big_page(**headers: str) -> Response:
    return Response("<p>119</p>" * 500, mimetype="text/html", headers=headers)


@pytest.mark.parametrize(
    ("response", "why"),
    [
        (big_page(**{"Content-Encoding": "br"}), "already encoded"),
        (Response(iter([b"<p>119</p>" * 500]), mimetype="text/html"), "streamed"),
        (Response(b"\x89PNG" * 1000, mimetype="image/png"), "not text"),
        (Response("<p>119</p>" * 500, status=206, mimetype="text/html"), "a range"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_what_is_never_compressed(app: Flask, response: Response, why: str) -> None:
    with app.test_request_context(headers={"Accept-Encoding": "gzip"}):
        body = response.get_data() if not response.is_streamed else None
        compress(response)
    assert response.headers.get("Content-Encoding") in (None, "br"), why
    if body is not None:
        assert response.get_data() == body


def test_a_strong_etag_becomes_weak_once_compressed(app: Flask) -> None:
    response = big_page()
    response.set_etag("lesson-1")
    with app.test_request_context(headers={"Accept-Encoding": "gzip"}):
        compress(response)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.get_etag() == ("lesson-1", True)
    assert response.headers["Content-Length"] == str(len(response.get_data()))
