"""The weekly report: one view model, and renderers that turn it into a format.

build      the view model (`Report`, `Item`, the to-do list) from what the store hands in
formats    the registry of report formats; the configuration, the API and the CLI read it
markdown   the Markdown renderer (through its template)
html       the HTML renderer, with its pictures (SVG trend, bars, strips)
tables     JSON and CSV: the report as data
email      sending a report by e-mail
templates  the Jinja templates
"""
