"""The Markdown subset of chronoscore's summaries as HTML."""

from chronoscore.figures.markdown_html import markdown_to_html

SUMMARY = """# model on data

Some <text> with `code`.

![predictivity](predictivity.png)

## per_bin

| region | r     |
| ------ | ----- |
| V4     | 0.500 |
| IT     | 0.250 |

- first [link](https://example.org)
- second
"""


def test_headings_tables_lists_and_paragraphs_become_html():
    page = markdown_to_html(SUMMARY, heading_offset=1)
    assert "<h2>model on data</h2>" in page and "<h3>per_bin</h3>" in page
    assert "<p>Some &lt;text&gt; with <code>code</code>.</p>" in page
    assert ("<table><thead><tr><th>region</th><th>r</th></tr></thead><tbody><tr><td>V4</td><td>0.500</td></tr>"
            "<tr><td>IT</td><td>0.250</td></tr></tbody></table>") in page
    assert "<ul><li>first link</li><li>second</li></ul>" in page


def test_images_and_links_leave_no_reference_outside_the_page():
    page = markdown_to_html(SUMMARY)
    assert "predictivity.png" not in page and "example.org" not in page and "<img" not in page
