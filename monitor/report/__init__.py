"""The weekly report: one view model, and renderers that turn it into a format.

    build      the view model (`Report`, `Item`, the to-do list) from what the store hands in
    formats    the registry of renderers (Markdown, HTML, JSON, CSV); config and the API read it
    html       the HTML renderer's pictures (SVG trend, bars, strips)
    email      sending a report by e-mail
    templates  the Jinja templates
"""
