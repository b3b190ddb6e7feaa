"""The page shell: one self-contained HTML file (CSS inline, plotly.js inlined once in the head,
no URL to fetch), readable on a laptop screen, with a source note under every section."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from plotly.offline import get_plotlyjs

from pipelines.webreport.blocks import Section

STYLE = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --accent:#3366cc; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
       color:var(--ink); background:var(--bg); }
header.top { background:#fff; border-bottom:1px solid var(--line); padding:14px 28px; }
header.top h1 { margin:0; font-size:20px; }
header.top .meta { color:var(--muted); font-size:12px; }
nav { display:flex; flex-wrap:wrap; gap:4px 14px; margin-top:8px; font-size:13px; }
nav a { color:var(--accent); text-decoration:none; }
main { max-width:1280px; margin:0 auto; padding:16px 28px 40px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 18px;
          margin:14px 0; }
section h2 { margin:0 0 4px; font-size:16px; }
.intro, .note, .source { color:var(--muted); font-size:12.5px; margin:2px 0 8px; }
.missing { background:#fff8e1; border-left:3px solid #ff9900; padding:6px 10px; font-size:13px; }
.error { background:#fdecea; border-left:3px solid #dc3912; padding:6px 10px; }
.kpis { display:grid; grid-template-columns:repeat(auto-fit,minmax(170px,1fr)); gap:10px; }
.kpi { border:1px solid var(--line); border-radius:6px; padding:10px 12px; }
.kpi-label { color:var(--muted); font-size:12px; }
.kpi-value { font-size:22px; font-weight:600; margin:2px 0; }
.kpi-detail { color:var(--muted); font-size:11.5px; }
.mart, code { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:11.5px;
              background:#eef2f7; padding:0 4px; border-radius:3px; }
.pair { display:grid; grid-template-columns:minmax(0,1.1fr) minmax(0,1fr); gap:14px;
        align-items:start; margin-bottom:10px; }
@media (max-width: 900px) { .pair { grid-template-columns:1fr; } }
table.data { border-collapse:collapse; width:100%; font-size:12.5px; margin:6px 0 12px; }
table.data caption { text-align:left; font-weight:600; padding:4px 0; }
table.data th { text-align:left; color:var(--muted); font-weight:600;
                border-bottom:2px solid var(--line); padding:4px 6px; }
table.data td { border-bottom:1px solid var(--line); padding:3px 6px; }
table.data td.num { text-align:right; font-variant-numeric:tabular-nums; }
details pre { background:#f0f3f7; padding:8px; overflow:auto; font-size:11px; }
"""


def _section_html(section: Section) -> str:
    marts = ", ".join(f"<code>{html.escape(m)}</code>" for m in section.marts) or "none"
    queries = "".join(
        f"<p>{html.escape(mart)}</p><pre>{html.escape(sql)}</pre>" for mart, sql in section.queries
    )
    source = (f'<div class="source">Source: {marts}. <details><summary>the SQL behind this '
              f"section</summary>{queries}</details></div>" if section.queries else "")
    intro = f'<p class="intro">{html.escape(section.intro)}</p>' if section.intro else ""
    return (f'<section id="{section.key}" data-section="{section.key}" '
            f'data-marts="{html.escape(" ".join(section.marts))}">'
            f"<h2>{html.escape(section.title)}</h2>{intro}{''.join(section.blocks)}"
            f"{source}</section>")


def render(sections: Sequence[Section], warehouse: str, generated_at: datetime) -> str:
    nav = "".join(f'<a href="#{s.key}">{html.escape(s.title.split(":")[0])}</a>'
                  for s in sections)
    body = "".join(_section_html(s) for s in sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>llmcost: the morning report</title>
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<header class="top"><h1>llmcost: where the money went</h1>
<div class="meta">Generated {generated_at:%Y-%m-%d %H:%M} UTC from
<code>{html.escape(warehouse)}</code>. Every number on this page comes from a mart of that
warehouse; each section names its marts and shows its SQL. Costs in USD; unpriced requests are
never counted as $0.</div><nav>{nav}</nav></header>
<main>{body}</main>
</body></html>
"""
