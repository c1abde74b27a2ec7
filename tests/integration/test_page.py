"""The chat page in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import API_KEY, ARTICLE, article_env, ragchat_server
from tests.integration.test_cli import run

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A loaded 2-core CI machine can take longer than Playwright's 5 s default to render.
expect.set_options(timeout=30_000)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, served_article: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.goto(served_article, wait_until="networkidle")
    yield pg
    context.close()


def ask(page: Page, question: str) -> None:
    page.fill("#question", question)
    page.keyboard.press("Enter")
    answer = page.locator(".msg.assistant").last
    expect(answer).to_be_visible()
    expect(answer).not_to_have_class(re.compile(r"\bpending\b"), timeout=60_000)


def test_answer_citation_opens_highlighted_evidence(page: Page, tmp_path: Path) -> None:
    ask(page, "Who signed the joint statement?")
    answer = page.locator(".msg.assistant").last
    expect(answer).to_contain_text("Namazu Hiroyuki")
    expect(answer.locator(".badge")).to_be_hidden()
    chips = answer.locator(".chip")
    assert chips.count() >= 1
    highlighted = []
    for i in range(chips.count()):
        chips.nth(i).click()
        mark = page.locator("#source-text mark")
        expect(mark).to_be_visible()
        highlighted.append(mark.inner_text())
    assert any("Jung Pak" in h for h in highlighted), highlighted
    # Leave the signatories' evidence open for the screenshot.
    chips.nth(next(i for i, h in enumerate(highlighted) if "Jung Pak" in h)).click()
    expect(page.locator("#source-title")).to_have_text("dprk-russia-joint-statement.txt")
    expect(page.locator("#source-state")).to_contain_text("Supported")
    page.screenshot(path=str(tmp_path / "chat-page.png"))
    if os.environ.get("RAGCHAT_SCREENSHOT"):
        page.screenshot(path=os.environ["RAGCHAT_SCREENSHOT"])
    page.keyboard.press("Escape")
    expect(page.locator("#source")).to_be_hidden()


def test_refusal_is_shown_as_such(page: Page) -> None:
    ask(page, "What is the boiling point of mercury?")
    answer = page.locator(".msg.assistant").last
    expect(answer).to_have_class(re.compile(r"\brefused\b"))
    expect(answer.locator(".badge")).to_be_visible()
    assert answer.locator(".chip").count() == 0


def test_conversation_survives_a_reload(page: Page) -> None:
    ask(page, "When did Putin visit Pyongyang?")
    page.reload()
    expect(page.locator(".msg.assistant").last).to_contain_text("June 19-20")
    expect(page.locator(".msg.assistant .chip").last).to_be_visible()


def test_phone_width_has_no_horizontal_scroll(browser: Browser, served_article: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    pg = context.new_page()
    pg.goto(served_article, wait_until="networkidle")
    ask(pg, "Who signed the joint statement?")
    pg.locator(".msg.assistant .chip").last.click()
    expect(pg.locator("#source-text mark")).to_be_visible()
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_documents_panel_lists_uploads_and_deletes(page: Page, tmp_path: Path) -> None:
    page.click("#docs-toggle")
    expect(page.locator("#doc-list")).to_contain_text("dprk-russia-joint-statement.txt")
    note = tmp_path / "harbour-notes.md"
    note.write_text("# Harbour notes\n\nThe harbour master is Ingrid Solberg.\n")
    page.set_input_files("#file", str(note))
    page.click("#upload button[type=submit]")
    expect(page.locator("#docs-status")).to_contain_text("harbour-notes.md: added")
    expect(page.locator("#doc-list")).to_contain_text("harbour-notes.md")
    ask(page, "Who is the harbour master?")
    expect(page.locator(".msg.assistant").last).to_contain_text("Ingrid Solberg")
    page.once("dialog", lambda d: d.accept())
    page.click("button[aria-label='Delete harbour-notes.md']")
    expect(page.locator("#docs-status")).to_contain_text("Deleted harbour-notes.md")
    expect(page.locator("#doc-list")).not_to_contain_text("harbour-notes.md")


def test_documents_panel_follows_an_ingestion_job_and_asks_before_replacing(
    page: Page, tmp_path: Path
) -> None:
    page.click("#docs-toggle")
    notes = [tmp_path / "tide-table.md", tmp_path / "pier-notes.txt"]
    notes[0].write_text("# Tides\n\nHigh tide at Vardø is at 06:40 on Mondays.\n")
    notes[1].write_text("The pier was rebuilt by Hammerfest Marine in 2019.\n")
    page.set_input_files("#file", [str(n) for n in notes])
    page.click("#upload button[type=submit]")
    job = page.locator("#job-list li").first
    expect(job).to_contain_text("2 of 2 files · succeeded")
    assert job.locator("progress").evaluate("(p) => [p.value, p.max]") == [2, 2]
    expect(page.locator("#docs-status")).to_contain_text("tide-table.md: added")
    expect(page.locator("#docs-status")).to_contain_text("pier-notes.txt: added")
    expect(page.locator("#doc-list")).to_contain_text("pier-notes.txt")
    # The same name again: the page asks, and replaces only when the user agrees.
    notes[1].write_text("The pier was rebuilt by Tromsø Marine in 2020.\n")
    page.set_input_files("#file", str(notes[1]))
    page.once("dialog", lambda d: d.accept())
    page.click("#upload button[type=submit]")
    expect(page.locator("#docs-status")).to_contain_text("pier-notes.txt: updated")
    ask(page, "Who rebuilt the pier?")
    expect(page.locator(".msg.assistant").last).to_contain_text("Tromsø Marine")


def test_page_asks_for_the_api_key_and_keeps_it_for_the_tab(
    browser: Browser, served_article_with_key: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.goto(served_article_with_key, wait_until="networkidle")
    form = pg.locator("#key-form")
    expect(form).to_be_visible()
    expect(pg.locator("#key-state")).to_have_text("This server needs an API key.")
    pg.fill("#api-key", "not-the-key")
    pg.keyboard.press("Enter")
    expect(pg.locator("#key-state")).to_contain_text("not accepted")
    pg.fill("#api-key", API_KEY)
    pg.click("#key-form button[type=submit]")
    expect(form).to_be_hidden()
    expect(pg.locator("#collection")).to_have_value("default")
    ask(pg, "Who signed the joint statement?")
    expect(pg.locator(".msg.assistant").last).to_contain_text("Namazu Hiroyuki")
    assert pg.evaluate("sessionStorage.getItem('ragchat:api-key')") == API_KEY
    pg.reload(wait_until="networkidle")
    expect(pg.locator(".msg.assistant .chip").last).to_be_visible()
    pg.locator(".msg.assistant .chip").last.click()
    expect(pg.locator("#source-text mark")).to_be_visible()
    expect(form).to_be_hidden()
    context.close()


def test_conversations_panel_switches_renames_and_deletes(page: Page, served_article: str) -> None:
    page.click("#clear")
    ask(page, "Who signed the joint statement?")
    page.click("#clear")
    expect(page.locator(".msg")).to_have_count(0)
    ask(page, "When did Putin visit Pyongyang?")
    page.click("#chats-toggle")
    items = page.locator("#chat-list li")
    # Newest first; the open conversation is marked.
    expect(items.first).to_contain_text("When did Putin visit Pyongyang?")
    expect(items.first).to_have_class(re.compile(r"\bcurrent\b"))
    signed = items.filter(has_text="Who signed the joint statement?").first
    signed.locator("button.open").click()
    # The log now holds that conversation, read back from the server, citations and all.
    expect(page.locator(".msg.user")).to_have_count(1)
    expect(page.locator(".msg.assistant").last).to_contain_text("Namazu Hiroyuki")
    page.locator(".msg.assistant .chip").first.click()
    expect(page.locator("#source-text mark")).to_be_visible()
    page.keyboard.press("Escape")
    # A follow-up goes on in the opened conversation.
    ask(page, "Who signed it?")
    expect(page.locator(".msg.user")).to_have_count(2)
    page.once("dialog", lambda d: d.accept("Signatories"))
    items.filter(has_text="Who signed the joint statement?").first.get_by_role(
        "button", name=re.compile("^Rename")
    ).click()
    expect(page.locator("#chats-status")).to_contain_text("Renamed to Signatories")
    expect(items.first).to_contain_text("Signatories")
    expect(items.first).to_have_class(re.compile(r"\bcurrent\b"))
    listed = httpx.get(f"{served_article}/v1/conversations").json()["conversations"]
    assert listed[0]["title"] == "Signatories"
    assert listed[0]["turn_count"] == 4
    page.once("dialog", lambda d: d.accept())
    items.first.get_by_role("button", name=re.compile("^Delete")).click()
    expect(page.locator("#chats-status")).to_contain_text("Deleted Signatories")
    expect(page.locator("#chat-list")).not_to_contain_text("Signatories")
    expect(page.locator(".msg")).to_have_count(0)  # the open conversation is gone
    gone = httpx.get(f"{served_article}/v1/conversations/{listed[0]['conversation_id']}")
    assert gone.status_code == 404


def ragchat_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(list(args), env, timeout=600)


def upload(url: str, path: Path) -> None:
    r = httpx.post(
        f"{url}/v1/documents",
        params={"collection": "default", "replace": "true"},
        files={"file": (path.name, path.read_bytes())},
        timeout=120,
    )
    assert r.status_code in (200, 201), r.text


def test_a_thumbs_down_becomes_an_eval_case_that_fails_until_the_document_is_fixed(
    browser: Browser, tmp_path: Path
) -> None:
    env = article_env(tmp_path / "data")
    hours = tmp_path / "office-hours.md"
    hours.write_text("# Office hours\n\nThe harbour office opens at nine in the morning.\n")
    with ragchat_server(env) as url:
        upload(url, hours)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        ask(page, "When does the harbour office open?")
        answer = page.locator(".msg.assistant").last
        expect(answer).to_contain_text("nine in the morning")
        # Thumbs down, with what the answer should have said.
        answer.get_by_role("button", name="Bad answer").click()
        form = answer.locator("form.feedback")
        expect(form).to_be_visible()
        form.locator("textarea[name=comment]").fill("It opens at eight since May.")
        form.locator("input[name=expected]").fill("eight in the morning")
        form.get_by_role("button", name="Send feedback").click()
        expect(answer.locator(".rated")).to_have_text("Feedback sent.")
        expect(form).to_be_hidden()
        expect(answer.get_by_role("button", name="Bad answer")).to_have_attribute(
            "aria-pressed", "true"
        )
        context.close()

        cases = tmp_path / "cases.jsonl"
        done = ragchat_cli(env, "feedback", "export", "--out", str(cases), "--rating", "down")
        assert done.returncode == 0, done.stderr
        [row] = [json.loads(line) for line in cases.read_text().splitlines()]
        assert row["question"] == "When does the harbour office open?"
        assert row["answers"] == [["eight in the morning"]]
        assert row["collection"] == "default"
        assert row["documents"] == ["office-hours.md"]
        assert row["feedback"]["comment"] == "It opens at eight since May."

        def replay(name: str) -> tuple[int, dict]:
            out = tmp_path / name
            args = ("eval", str(cases), "--url", url, "--out", str(out))
            done = ragchat_cli(env, *args, "--fail-under", "answer.em_recall=1")
            report = json.loads((out / "report.json").read_text())
            return done.returncode, report["metrics"]

        code, metrics = replay("before")
        assert code == 1  # the gate fails: the documents still say nine
        assert metrics["answer.em_recall"] == 0.0
        hours.write_text("# Office hours\n\nThe harbour office opens at eight in the morning.\n")
        upload(url, hours)
        code, metrics = replay("after")
        assert code == 0
        assert metrics["answer.em_recall"] == 1.0

        stats = ragchat_cli(env, "feedback", "stats", "--json")
        assert stats.returncode == 0, stats.stderr
        counted = json.loads(stats.stdout)
        assert counted["collections"] == {"default": {"up": 0, "down": 1}}
        assert counted["most_downvoted"] == [
            {"collection": "default", "source": "office-hours.md", "down": 1}
        ]


def test_uploads_take_every_type_by_picker_or_drop_and_cite_pages(
    page: Page, tmp_path: Path
) -> None:
    from ingest.loaders import supported_extensions
    from tests.unit.test_loaders import PAGE_ONE, PAGE_TWO, make_pdf

    accept = page.locator("#file").get_attribute("accept") or ""
    assert accept.split(",") == supported_extensions()
    page.click("#docs-toggle")
    report = tmp_path / "breakwater-report.pdf"
    report.write_bytes(make_pdf([PAGE_ONE, PAGE_TWO], title="Breakwater Report"))
    page.set_input_files("#file", str(report))
    page.click("#upload button[type=submit]")
    expect(page.locator("#docs-status")).to_contain_text("breakwater-report.pdf: added")
    # Dropped files, one of a type ragchat does not read: each file gets its own line.
    dropped = page.evaluate_handle(
        """() => {
            const dt = new DataTransfer();
            dt.items.add(new File(['<html><body><h1>Quay</h1><p>The quay crane lifts ' +
                '40 tonnes.</p></body></html>'], 'quay-crane.html', {type: 'text/html'}));
            dt.items.add(new File(['MZ'], 'setup.exe', {type: 'application/octet-stream'}));
            return dt;
        }"""
    )
    page.dispatch_event("#docs", "drop", {"dataTransfer": dropped})
    status = page.locator("#docs-status")
    expect(status).to_contain_text("quay-crane.html: added")
    expect(status).to_contain_text("setup.exe: failed")
    expect(page.locator("#doc-list")).to_contain_text("quay-crane.html")
    ask(page, "How much will the breakwater repair cost?")
    chip = page.locator(".msg.assistant").last.locator(".chip").first
    expect(chip).to_have_attribute("title", re.compile(r"breakwater-report\.pdf \(page 2\)"))
    chip.click()
    expect(page.locator("#source-meta")).to_contain_text("page 2")
    ask(page, "How many tonnes does the quay crane lift?")
    expect(page.locator(".msg.assistant").last).to_contain_text("40 tonnes")


def test_the_page_opens_the_configured_collection(browser: Browser, tmp_path: Path) -> None:
    env = article_env(tmp_path / "data")
    for name in ("alpha", "zeta"):
        done = ragchat_cli(env, "ingest", str(ARTICLE), "--collection", name)
        assert done.returncode == 0, done.stderr
    with ragchat_server({**env, "RAGCHAT_COLLECTION": "zeta"}) as url:
        context = browser.new_context()
        pg = context.new_page()
        pg.goto(url, wait_until="networkidle")
        expect(pg.locator("#collection")).to_have_value("zeta")
        options = pg.locator("#collection option").all_inner_texts()
        assert {"alpha", "default", "zeta"} <= set(options)
        context.close()
