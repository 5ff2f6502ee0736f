"""The Markdown pages as HTML (uqtrack.report): tables, headings and literal angle brackets."""

from uqtrack.report import to_html

PAGE = """# Data quality

- d/01: ignored file man_track_old.tif (TRA folder, not man_track<digits>.tif)

## Sequences

| sequence | frames | verdict |
|---|---|---|
| d/01 | 10 (0-9) | **holds** |
| d/02 | 3 | *undecided* |

*Operational definition.* `ece` of <dataset>/<seq> & more
"""


def test_tables_headings_and_emphasis_become_html():
    page = to_html(PAGE)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</body></html>\n")
    assert page.count("<table>") == 1 and page.count("<th>") == 3 and page.count("<td>") == 6
    assert "<h1>Data quality</h1>" in page and "<h2>Sequences</h2>" in page
    assert "<td><strong>holds</strong></td>" in page and "<em>Operational definition.</em>" in page
    assert "<code>ece</code>" in page


def test_angle_brackets_in_the_text_are_shown_not_taken_for_tags():
    page = to_html(PAGE)
    assert "man_track&lt;digits&gt;.tif" in page and "&lt;dataset&gt;/&lt;seq&gt; &amp; more" in page
    assert "<digits>" not in page and "<dataset>" not in page
