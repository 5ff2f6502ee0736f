"""Markdown pages of a run (``claims.md``, ``data_quality.md``) as standalone HTML.

Snakemake's report shows HTML inline but offers Markdown only as a download, so each
page is written twice. The conversion is markdown-it-py's CommonMark with GitHub
tables, not a hand-written subset.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

__all__ = ["to_html"]

# Raw HTML off: the pages hold text such as ``man_track<digits>.tif`` and
# ``<dataset>/<seq>``, which must show as written, not be taken for tags.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")

_STYLE = (
    "body{font-family:sans-serif;max-width:70em;margin:1em auto;font-size:14px}"
    "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
    "vertical-align:top}th{background:#eee}"
)


def to_html(markdown_text: str) -> str:
    """A Markdown page as a standalone HTML page (UTF-8, with a small table style).

    Parameters
    ----------
    markdown_text
        CommonMark with GitHub-style tables, as :func:`uqtrack.claims.markdown` and
        :func:`uqtrack.quality.markdown` write it.

    Returns
    -------
    str
        ``<!DOCTYPE html>...``, ending with a newline.
    """
    body = _MARKDOWN.render(markdown_text)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{_STYLE}</style></head><body>\n"
        f"{body}</body></html>\n"
    )
