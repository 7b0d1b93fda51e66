"""diplolex.render: a self-contained HTML page, checked as text and in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from diplolex.cli.main import main
from diplolex.render import render
from diplolex.types import Attribution, Conditional, Document, Sentence, Span, Stance

TEXT = (
    "The foreign minister said the embargo would be lifted if the troops withdrew. "
    'He added: "We will not sign <anything> under pressure." '
    "Ankara rejected the proposal."
)


def _span(text: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(text, start + 1)
    return Span.of(TEXT, start, start + len(text))


def fixture_document() -> Document:
    """A hand-made document with every kind of span and link (no model involved)."""
    first = _span("The foreign minister said the embargo would be lifted if the troops withdrew.")
    second = _span('He added: "We will not sign <anything> under pressure."')
    third = _span("Ankara rejected the proposal.")
    sentences = [
        Sentence(first.start, first.end, first.text, True, 0.98),
        Sentence(second.start, second.end, second.text, False, 0.01),
        Sentence(third.start, third.end, third.text, False, 0.0),
    ]
    return Document(
        text=TEXT,
        sentences=sentences,
        conditionals=[
            Conditional(
                "demand",
                0.81,
                0.93,
                _span("if"),
                _span("if the troops withdrew"),
                _span("the embargo would be lifted"),
            ),
        ],
        attributions=[
            Attribution(
                _span("The foreign minister"),
                _span("said"),
                _span("the embargo would be lifted if the troops withdrew"),
                0.9,
            ),
            Attribution(
                _span("He"),
                _span("added"),
                _span('"We will not sign <anything> under pressure."'),
                0.97,
                resolved_source=_span("The foreign minister"),
                resolved_score=0.8,
            ),
            Attribution(_span("Ankara"), _span("rejected"), _span("the proposal"), 0.88),
        ],
        stances=[
            Stance("Ankara", _span("Ankara"), _span("the proposal"), "against", 0.91),
            Stance("author", None, _span("the embargo"), "neutral", 0.6),
        ],
    )


class _Page(HTMLParser):
    """Collects elements' attributes and the text inside each text piece and reference."""

    def __init__(self) -> None:
        super().__init__()
        self.body: dict[str, str | None] = {}
        self.pieces: list[tuple[str, str]] = []  # (data-marks, text)
        self.refs: list[dict[str, str | None]] = []
        self.boxes: list[dict[str, str | None]] = []
        self._open: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "div" and "text" in (a.get("class") or "").split():
            self.boxes.append(a)
        if tag == "span" and (a.get("class") or "").split()[:1] in (["seg"], ["ref"]):
            a["_text"] = ""
            self._open.append((tag, a))
        elif tag == "span":
            self._open.append((tag, {}))

    def handle_endtag(self, tag):
        if tag != "span" or not self._open:
            return
        _, a = self._open.pop()
        if "_text" not in a:
            return
        if a["class"].startswith("seg"):
            self.pieces.append((a.get("data-marks") or "", a["_text"]))
        else:
            self.refs.append(a)

    def handle_data(self, data):
        for _, a in self._open:
            if "_text" in a:
                a["_text"] += data


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def _check_every_span_is_shown(parser: _Page, doc: Document) -> None:
    """Each span of ``doc`` is a reference in the relation list, and its bars cover it."""
    shown = {(int(r["data-start"]), int(r["data-end"]), r["_text"]) for r in parser.refs}
    for span in doc.spans():
        if span is not None:
            assert (span.start, span.end, span.text) in shown, span
    for ref in parser.refs:
        covered = "".join(t for marks, t in parser.pieces if ref["data-ref"] in marks.split())
        assert covered == ref["_text"]
    assert "".join(t for _, t in parser.pieces) == doc.text


def test_page_shows_every_span_and_escapes_the_text():
    doc = fixture_document()
    page = render([doc], ids=["wire-7"])
    assert page.startswith("<!DOCTYPE html>") and "wire-7" in page
    assert "<anything>" not in page and "&lt;anything&gt;" in page
    parser = _parse(page)
    _check_every_span_is_shown(parser, doc)
    links = json.loads(parser.boxes[0]["data-links"])
    labels = sorted(link["label"] for link in links)
    # condition -> consequence, source -> cue -> content (x3), he -> minister, holder -> target
    assert labels == sorted(["demand 0.81", "", "says", "", "says", "refers to", "", "says",
                             "against 0.91"])  # fmt: skip


def test_page_is_self_contained():
    page = render(fixture_document())
    for needle in ("src=", "href=", "@import", "url(http", "<link"):
        assert needle not in page


def test_render_checks_its_arguments():
    with pytest.raises(TypeError, match="item 0 is a str"):
        render(["not a document"])
    with pytest.raises(ValueError, match="1 documents but 2 ids"):
        render(fixture_document(), ids=[1, 2])
    assert "(no documents)" in render([])


def test_cli_html_format_renders_documents_and_error_lines(nlp, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr("diplolex.load", lambda **_: nlp)
    path = tmp_path / "wire.jsonl"
    path.write_text('{"id": "a", "text": "Aid will flow if the truce holds."}\n{"text": 3}\n')
    assert main(["analyze", str(path), "--format", "html"]) == 1
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and "id a" in page and "line 2" in page
    assert "&#x27;text&#x27; must be a string" in page
    assert "if the truce holds" in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _dump_dom(page_path, tmp_path) -> str:
    profile = tmp_path / "chromium-profile"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={profile}", "--window-size=1000,800",
        "--dump-dom", page_path.as_uri(),
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium browser installed (apt-get install chromium)"
)


@needs_chromium
def test_page_loads_in_chromium_without_script_errors_and_draws_every_link(tmp_path):
    doc = fixture_document()
    page_path = tmp_path / "page.html"
    page_path.write_text(render([doc, Document(text="")]), encoding="utf-8")
    parser = _parse(_dump_dom(page_path, tmp_path))
    assert parser.body.get("data-rendered") == "true"  # the script ran to the end
    assert parser.body.get("data-script-errors") is None
    _check_every_span_is_shown(parser, doc)
    expected = len(json.loads(parser.boxes[0]["data-links"]))
    assert parser.boxes[0]["data-links-drawn"] == str(expected) == "9"


@needs_chromium
def test_the_browser_check_does_see_a_script_error(tmp_path):
    """The error hook the test relies on reports an error thrown after the page's script."""
    page = render(fixture_document()).replace(
        "</body>", "<script>undefinedFunction();</script></body>"
    )
    page_path = tmp_path / "broken.html"
    page_path.write_text(page, encoding="utf-8")
    parser = _parse(_dump_dom(page_path, tmp_path))
    assert "undefinedFunction" in (parser.body.get("data-script-errors") or "")
