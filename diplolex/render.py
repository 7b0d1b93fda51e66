"""Results as a self-contained HTML page, in the spirit of displaCy.

Each document's text is shown with a coloured bar under every span (stacked where spans
overlap) and arrows for the links: condition -> consequence (labelled with the type),
source -> cue -> content, and holder -> target (labelled with the stance). Below the text,
one row per relation lists the same spans. The page needs nothing from the network: the
styles and the small script that draws the arrows are inline.

Example:
    >>> html = diplolex.render(diplolex.analyze("Aid flows if the truce holds."))
    >>> html.startswith("<!DOCTYPE html>")
    True
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from diplolex.types import Document, Span

KINDS: dict[str, tuple[str, str]] = {
    # kind: (label shown, colour)
    "cue": ("conditional cue", "#8e5bd6"),
    "condition": ("condition", "#e8912d"),
    "consequence": ("consequence", "#2f7fe0"),
    "source": ("source", "#1f9d55"),
    "attribution-cue": ("attribution cue", "#d43f5e"),
    "content": ("content", "#27a3b3"),
    "resolved-source": ("resolved source", "#7fbf3f"),
    "holder": ("stance holder", "#b08900"),
    "target": ("stance target", "#6b6b6b"),
}
"""Every kind of span drawn, with its legend label and colour."""

STANCE_COLOURS = {"favor": "#1f9d55", "against": "#d43f5e", "neutral": "#6b6b6b"}


@dataclass
class _Mark:
    """One span drawn in a document: a bar under its text."""

    id: str
    kind: str
    span: Span
    level: int = 0


@dataclass
class _Link:
    source: str  # mark ids
    target: str
    label: str
    colour: str
    dashed: bool = False


def render(
    docs: Document | Iterable[Document],
    *,
    ids: Sequence[Any] | None = None,
    title: str = "diplolex",
) -> str:
    """A complete HTML page (a ``str``) showing ``docs`` with their spans and links.

    Args:
        docs: a :class:`~diplolex.types.Document` or an iterable of them.
        ids: optional document ids, shown in each document's heading.
        title: the page title.

    Example:
        >>> docs = diplolex.analyze(["Aid flows if the truce holds.", "Talks ended."])
        >>> Path("analysis.html").write_text(diplolex.render(docs))  # doctest: +SKIP
    """
    docs = [docs] if isinstance(docs, Document) else list(docs)
    for i, d in enumerate(docs):
        if not isinstance(d, Document):
            raise TypeError(f"item {i} is a {type(d).__name__}, not a diplolex Document")
    if ids is not None and len(ids) != len(docs):
        raise ValueError(f"{len(docs)} documents but {len(ids)} ids: pass one id per document")
    sections = [
        _document_html(doc, n, None if ids is None else ids[n]) for n, doc in enumerate(docs)
    ]
    return _page(sections, title)


def render_records(results: Iterable[tuple[Any, Document | None]], title: str = "diplolex") -> str:
    """The page for the CLI: ``(item, document)`` pairs, ``None`` documents shown as errors.

    Items need ``id``, ``line`` and ``error`` attributes (``diplolex.cli.analyze.Item``).
    """
    sections = []
    for n, (item, doc) in enumerate(results):
        heading = _heading(n, getattr(item, "id", None), getattr(item, "line", None))
        if doc is None:
            sections.append(
                f'<article class="doc error" id="doc-{n}">{heading}'
                f'<p class="error-message">{html.escape(str(item.error))}</p></article>'
            )
        else:
            sections.append(_document_html(doc, n, getattr(item, "id", None),
                                           getattr(item, "line", None)))  # fmt: skip
    return _page(sections, title)


def _heading(n: int, doc_id: Any, line: int | None = None) -> str:
    extra = []
    if doc_id is not None:
        extra.append(f"id {html.escape(str(doc_id))}")
    if line is not None:
        extra.append(f"line {line}")
    small = f" <small>{' · '.join(extra)}</small>" if extra else ""
    return f"<h2>Document {n + 1}{small}</h2>"


def _marks_and_links(doc: Document, n: int) -> tuple[list[_Mark], list[tuple[str, list]]]:
    """The marks of ``doc`` and its relations: (relation kind, row items) pairs."""
    marks: list[_Mark] = []

    def mark(kind: str, span: Span | None) -> _Mark | None:
        if span is None:
            return None
        m = _Mark(f"d{n}-m{len(marks)}", kind, span)
        marks.append(m)
        return m

    relations: list[tuple[str, list]] = []
    for c in doc.conditionals:
        cue, cond, cons = mark("cue", c.cue), mark("condition", c.condition), mark("consequence", c.consequence)  # fmt: skip # noqa: E501
        label = f"{c.type} {c.type_score:.2f}"
        links = [_Link(cond.id, cons.id, label, KINDS["condition"][1])] if cond and cons else []
        relations.append(("conditional", [label, cue, cond, "→", cons, links]))
    for a in doc.attributions:
        src, cue, content = mark("source", a.source), mark("attribution-cue", a.cue), mark("content", a.content)  # fmt: skip # noqa: E501
        resolved = mark("resolved-source", a.resolved_source)
        colour = KINDS["attribution-cue"][1]
        links = [_Link(cue.id, content.id, "says", colour)]
        if src:
            links.insert(0, _Link(src.id, cue.id, "", KINDS["source"][1]))
        if src and resolved:
            links.append(_Link(src.id, resolved.id, "refers to", KINDS["resolved-source"][1], True))
        row: list = [f"attribution {a.score:.2f}", src, "→", cue, "→", content]
        if resolved:
            row += ["(source refers to", resolved, ")"]
        relations.append(("attribution", [*row, links]))
    for s in doc.stances:
        holder, target = mark("holder", s.holder_span), mark("target", s.target)
        label = f"{s.stance} {s.score:.2f}"
        colour = STANCE_COLOURS.get(s.stance, "#6b6b6b")
        links = [_Link(holder.id, target.id, label, colour)] if holder and target else []
        who = holder if holder else f"{s.holder}"
        relations.append(("stance", [f"stance {label}", who, f"{s.stance} →", target, links]))
    _assign_levels(marks)
    return marks, relations


def _assign_levels(marks: list[_Mark]) -> None:
    """Stack overlapping bars: each mark takes the lowest level free over its extent."""
    ends: list[int] = []  # per level, where its last mark ends
    for m in sorted(marks, key=lambda m: (m.span.start, -m.span.end)):
        for level, end in enumerate(ends):
            if end <= m.span.start:
                m.level, ends[level] = level, m.span.end
                break
        else:
            m.level = len(ends)
            ends.append(m.span.end)


def _segments(doc: Document, marks: list[_Mark]) -> list[tuple[int, int]]:
    """Pieces of the text between span and sentence edges, cut after each whitespace run
    so that lines wrap between pieces, never inside one."""
    cuts = {0, len(doc.text)}
    for m in marks:
        cuts |= {m.span.start, m.span.end}
    for s in doc.sentences:
        cuts |= {s.start, s.end}
    text = doc.text
    for i in range(1, len(text)):
        if text[i - 1].isspace() and not text[i].isspace():
            cuts.add(i)
    edges = sorted(cuts)
    return [(a, b) for a, b in itertools.pairwise(edges) if a < b]


def _document_html(doc: Document, n: int, doc_id: Any = None, line: int | None = None) -> str:
    marks, relations = _marks_and_links(doc, n)
    levels = 1 + max((m.level for m in marks), default=-1)
    parts = []
    by_start = sorted(marks, key=lambda m: m.span.start)
    active: list[_Mark] = []  # marks covering the current piece (one sweep, not a scan each)
    next_mark, next_sentence = 0, 0
    for a, b in _segments(doc, marks):
        while next_mark < len(by_start) and by_start[next_mark].span.start <= a:
            active.append(by_start[next_mark])
            next_mark += 1
        active = [m for m in active if b <= m.span.end]
        covering = sorted(active, key=lambda m: m.level)
        while next_sentence < len(doc.sentences) and doc.sentences[next_sentence].end < b:
            next_sentence += 1
        sentence = None
        if next_sentence < len(doc.sentences):
            candidate = doc.sentences[next_sentence]
            sentence = candidate if candidate.start <= a and b <= candidate.end else None
        classes = ["seg"]
        attrs = ""
        if sentence is not None and sentence.conditional:
            classes.append("conditional-sentence")
            attrs = f' title="conditional sentence {sentence.conditional_score:.2f}"'
        bars = "".join(
            f'<i class="bar k-{m.kind}" style="--level:{m.level}" data-mark="{m.id}"'
            f' title="{html.escape(KINDS[m.kind][0])}"></i>'
            for m in covering
        )
        starts = " ".join(m.id for m in covering if m.span.start == a)
        data = f' data-marks="{" ".join(m.id for m in covering)}"' if covering else ""
        if starts:
            data += f' data-starts="{starts}"'
        piece = html.escape(doc.text[a:b])
        parts.append(f'<span class="{" ".join(classes)}"{attrs}{data}>{piece}{bars}</span>')
    links = [
        {"from": k.source, "to": k.target, "label": k.label, "colour": k.colour,
         "dashed": k.dashed}
        for _, row in relations for k in row[-1]
    ]  # fmt: skip
    rows = "".join(_relation_html(kind, row) for kind, row in relations)
    marks_json = html.escape(json.dumps(links), quote=True)
    empty = "" if doc.text.strip() else '<p class="empty">(empty document)</p>'
    relation_list = f'<ol class="relations">{rows}</ol>' if rows else ""
    return (
        f'<article class="doc" id="doc-{n}">{_heading(n, doc_id, line)}'
        f'<div class="text" style="--levels:{levels}" data-links="{marks_json}">'
        f'<svg class="links" aria-hidden="true"></svg>{"".join(parts)}</div>'
        f"{empty}{relation_list}</article>"
    )


def _relation_html(kind: str, row: list) -> str:
    label, *items, _links = row
    cells = [f'<span class="rel-label">{html.escape(label)}</span>']
    mark_ids = []
    for it in items:
        if isinstance(it, _Mark):
            mark_ids.append(it.id)
            cells.append(
                f'<span class="ref k-{it.kind}" data-ref="{it.id}" data-kind="{it.kind}"'
                f' data-start="{it.span.start}" data-end="{it.span.end}"'
                f' title="{html.escape(KINDS[it.kind][0])} {it.span.start}-{it.span.end}">'
                f"{html.escape(it.span.text)}</span>"
            )
        elif it is None:
            cells.append('<span class="none">–</span>')
        else:
            cells.append(f'<span class="op">{html.escape(str(it))}</span>')
    return f'<li class="rel rel-{kind}" data-refs="{" ".join(mark_ids)}">{" ".join(cells)}</li>'


def _legend() -> str:
    items = "".join(
        f'<span class="key"><i class="swatch k-{kind}"></i>{html.escape(label)}</span>'
        for kind, (label, _) in KINDS.items()
    )
    return f'<p class="legend">{items}</p>'


_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:60em;
  padding:0 1em;color:#222;background:#fff}
h1{font-size:1.3em;margin:0 0 .3em}
h2{font-size:1em;margin:1.6em 0 .4em;color:#555}
h2 small{font-weight:normal;color:#888}
.legend{font-size:.8em;color:#444;margin:0 0 1em}
.key{margin-right:1.1em;white-space:nowrap}
.swatch{display:inline-block;width:1.2em;height:.35em;margin-right:.35em;vertical-align:middle}
.text{position:relative;padding:1.6em 0 .4em;line-height:calc(2.6em + var(--levels)*5px);
  white-space:pre-wrap;font-size:1.05em}
.seg{position:relative}
.conditional-sentence{background:#fff6e5}
.bar{position:absolute;left:0;right:0;height:3px;bottom:calc(-3px - var(--level)*5px)}
.links{position:absolute;left:0;top:0;width:100%;height:100%;overflow:visible;
  pointer-events:none}
.links path{fill:none;stroke-width:1.5;opacity:.75}
.links text{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px}
.relations{font-size:.9em;margin:.6em 0 0;padding-left:1.6em;color:#333}
.rel{margin:.2em 0}
.rel-label{color:#777;font-size:.85em;margin-right:.3em}
.ref{border-bottom:3px solid;padding:0 .1em}
.op,.none{color:#888}
.rel.active .ref,.seg.active{background:#eef4ff}
.error .error-message{color:#b00020;font-family:ui-monospace,monospace;font-size:.9em}
.empty{color:#888;font-style:italic}
"""


def _kind_css() -> str:
    rules = []
    for kind, (_, colour) in KINDS.items():
        rules.append(f".bar.k-{kind},.swatch.k-{kind}{{background:{colour}}}")
        rules.append(f".ref.k-{kind}{{border-color:{colour}}}")
    return "\n".join(rules)


_JS = """
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  window.diplolexErrors = [];
  window.addEventListener("error", function (e) {
    window.diplolexErrors.push(String(e.message));
    document.body.setAttribute("data-script-errors", window.diplolexErrors.join(" | "));
  });
  function firstPiece(box, id) {
    return box.querySelector('.seg[data-starts~="' + id + '"]');
  }
  function draw(box) {
    var svg = box.querySelector("svg.links");
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var links = JSON.parse(box.getAttribute("data-links") || "[]");
    var origin = box.getBoundingClientRect();
    var drawn = 0;
    links.forEach(function (link, i) {
      var a = firstPiece(box, link.from), b = firstPiece(box, link.to);
      if (!a || !b) { return; }
      var ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
      var x1 = ra.left - origin.left + Math.min(ra.width / 2, 12), y1 = ra.top - origin.top;
      var x2 = rb.left - origin.left + Math.min(rb.width / 2, 12), y2 = rb.top - origin.top;
      var lift = Math.min(24, 8 + Math.abs(x2 - x1) / 14 + (i % 3) * 4);
      var top = Math.min(y1, y2) - lift;
      var path = document.createElementNS(NS, "path");
      path.setAttribute("d", "M" + x1 + "," + y1 + " C" + x1 + "," + top + " " + x2 + "," +
        top + " " + x2 + "," + (y2 - 2));
      path.setAttribute("stroke", link.colour);
      path.setAttribute("marker-end", "url(#" + box.parentNode.id + "-arrow-" + i + ")");
      if (link.dashed) { path.setAttribute("stroke-dasharray", "4 3"); }
      var marker = document.createElementNS(NS, "marker");
      marker.setAttribute("id", box.parentNode.id + "-arrow-" + i);
      marker.setAttribute("viewBox", "0 0 10 10");
      marker.setAttribute("refX", "8"); marker.setAttribute("refY", "5");
      marker.setAttribute("markerWidth", "6"); marker.setAttribute("markerHeight", "6");
      marker.setAttribute("orient", "auto-start-reverse");
      var tip = document.createElementNS(NS, "path");
      tip.setAttribute("d", "M0,0 L10,5 L0,10 z");
      tip.setAttribute("fill", link.colour);
      marker.appendChild(tip);
      svg.appendChild(marker);
      svg.appendChild(path);
      if (link.label) {
        var text = document.createElementNS(NS, "text");
        text.setAttribute("x", (x1 + x2) / 2); text.setAttribute("y", top + 6);
        text.setAttribute("text-anchor", "middle"); text.setAttribute("fill", link.colour);
        text.textContent = link.label;
        svg.appendChild(text);
      }
      drawn += 1;
    });
    box.setAttribute("data-links-drawn", String(drawn));
  }
  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".doc .text"), draw);
    document.body.setAttribute("data-rendered", "true");
  }
  function highlight(row, on) {
    row.classList.toggle("active", on);
    (row.getAttribute("data-refs") || "").split(" ").forEach(function (id) {
      if (!id) { return; }
      Array.prototype.forEach.call(
        row.parentNode.parentNode.querySelectorAll('.seg[data-marks~="' + id + '"]'),
        function (seg) { seg.classList.toggle("active", on); });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".rel"), function (row) {
    row.addEventListener("mouseenter", function () { highlight(row, true); });
    row.addEventListener("mouseleave", function () { highlight(row, false); });
  });
  window.addEventListener("resize", drawAll);
  drawAll();
})();
"""


def _page(sections: list[str], title: str) -> str:
    body = "\n".join(sections) or '<p class="empty">(no documents)</p>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{_CSS}{_kind_css()}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>{_legend()}\n{body}\n"
        f"<script>{_JS}</script></body></html>\n"
    )
