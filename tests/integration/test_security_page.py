"""Cross-site forms and the content security policy in a real headless Chromium.

The attacker's page is served by a real HTTP server on loopback under the name
`attacker.test` (Chromium maps it to 127.0.0.1), so for the browser it is another site
than ragchat's `127.0.0.1`, exactly as a page on the web would be.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from service.api.headers import DOCS_POLICY, PAGE_POLICY
from tests.integration.test_page import CHROMIUM, FLAGS, ask

ATTACKER = "attacker.test"
PLANTED = "planted.md"
# Records every CSP violation of the page, from before its first script runs.
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""
FORM_ATTACK = """<!doctype html><title>Win a prize</title>
<form id="f" method="post" enctype="multipart/form-data" action="{target}">
<input type="file" name="file" id="file"></form>
<script>
const planted = new DataTransfer();
planted.items.add(new File(["# Notice\\n\\nThe harbour master is Mallory.\\n"], "{name}"));
document.getElementById("file").files = planted.files;
document.getElementById("f").submit();
</script>"""
FETCH_ATTACK = """<!doctype html><title>Win a prize</title>
<script>
const form = new FormData();
form.append("file", new File(["# Notice\\n\\nThe harbour master is Mallory.\\n"], "{name}"));
fetch("{target}", {{method: "POST", mode: "no-cors", body: form}});
</script>"""
SWAGGER_STUB = """
window.SwaggerUIBundle = (config) => {
  fetch(config.url).then((r) => r.json()).then((spec) => {
    document.querySelector(config.dom_id).textContent = `loaded ${spec.info.title}`;
  });
  return {};
};
SwaggerUIBundle.presets = { apis: {} };
SwaggerUIBundle.SwaggerUIStandalonePreset = {};
"""


class AttackerSite:
    """A real http.server on 127.0.0.1 serving one page per path."""

    def __init__(self, pages: dict[str, str]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://{ATTACKER}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> AttackerSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        rules = f"--host-resolver-rules=MAP {ATTACKER} 127.0.0.1"
        b = p.chromium.launch(executable_path=CHROMIUM, args=[*FLAGS, rules])
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH_CSP)
    yield context.new_page()
    context.close()


def sources(url: str) -> list[str]:
    documents = httpx.get(f"{url}/v1/documents", timeout=30).json()["documents"]
    return [d["source"] for d in documents]


@pytest.mark.parametrize("attack", [FORM_ATTACK, FETCH_ATTACK], ids=["form", "no-cors-fetch"])
def test_another_sites_page_cannot_upload_a_document(
    page: Page, served_article: str, attack: str
) -> None:
    target = f"{served_article}/v1/documents?collection=default"
    html = attack.format(target=target, name=PLANTED)
    with AttackerSite({"/prize.html": html}) as site:
        with page.expect_response(
            lambda r: r.url == target and r.request.method == "POST"
        ) as posted:
            page.goto(f"{site.origin}/prize.html")
        response = posted.value
        sent = response.request.all_headers()
    assert sent["content-type"].startswith("multipart/form-data")
    assert response.status == 403
    if attack is FORM_ATTACK:  # a navigation: Playwright sees what the browser really sent
        assert sent["origin"] == site.origin
        assert sent["sec-fetch-site"] == "cross-site"
        assert response.json()["error"]["type"] == "cross_site_request"
    assert PLANTED not in sources(served_article)
    assert "dprk-russia-joint-statement.txt" in sources(served_article)


def test_the_chat_page_keeps_working_under_its_policy(page: Page, served_article: str) -> None:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    response = page.goto(served_article, wait_until="networkidle")
    assert response is not None
    assert response.headers["content-security-policy"] == PAGE_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    ask(page, "Who signed the joint statement?")
    answer = page.locator(".msg.assistant").last
    expect(answer).to_contain_text("Namazu Hiroyuki")
    answer.locator(".chip").first.click()
    expect(page.locator("#source-text mark")).to_be_visible()
    page.click("#docs-toggle")
    expect(page.locator("#doc-list")).to_contain_text("dprk-russia-joint-statement.txt")
    page.set_input_files(
        "#file",
        files=[{"name": "csp-notes.md", "mimeType": "text/markdown", "buffer": b"# CSP\n\nOk.\n"}],
    )
    page.click("#upload button[type=submit]")
    expect(page.locator("#docs-status")).to_contain_text("csp-notes.md: added")
    page.once("dialog", lambda d: d.accept())
    page.click("button[aria-label='Delete csp-notes.md']")
    expect(page.locator("#docs-status")).to_contain_text("Deleted csp-notes.md")
    assert page.evaluate("window.__violations") == []
    assert not [c for c in console if "Content Security Policy" in c], console
    # The policy is in force: script injected into the page does not run.
    blocked = page.evaluate(
        """() => new Promise((resolve) => {
          document.addEventListener("securitypolicyviolation",
            (e) => resolve(e.violatedDirective), { once: true });
          const s = document.createElement("script");
          s.textContent = "window.__injected = true";
          document.body.append(s);
          setTimeout(() => resolve("nothing blocked"), 3000);
        })"""
    )
    assert blocked.startswith("script-src")
    assert page.evaluate("window.__injected") is None


def test_the_api_docs_still_load_their_cdn_bundle(page: Page, served_article: str) -> None:
    """/docs gets its own, relaxed policy; the CDN is stubbed, the browser checks the CSP."""

    def cdn(route: Route) -> None:
        js = route.request.url.endswith(".js")
        route.fulfill(
            body=SWAGGER_STUB if js else "",
            content_type="text/javascript" if js else "text/css",
        )

    page.route("https://cdn.jsdelivr.net/**", cdn)
    page.route("https://fastapi.tiangolo.com/**", lambda r: r.fulfill(body=b"", status=204))
    response = page.goto(f"{served_article}/docs", wait_until="networkidle")
    assert response is not None
    assert response.headers["content-security-policy"] == DOCS_POLICY
    expect(page.locator("#swagger-ui")).to_have_text("loaded ragchat")
    assert page.evaluate("window.__violations") == []
