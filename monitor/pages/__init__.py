"""Reading and writing citation pages: from bytes to citations, and back to a patched page.

formats    the input formats: suffixes, detection, reader, note style (one table)
extract    page content -> citations (HTML, Markdown, text, URL lists)
markdown   Markdown to the HTML a reader sees
reflines   plain-text reference lists, reference sections, URLs written as text
scope      where an HTML page keeps its references; page furniture
titles     titles as citation styles write them
sourcemap  where each citation, link and stamp is in the page text
ingest     reading files, directories and page URLs
patch      byte-preserving edits: new stamps, archive notes, moved links
"""
