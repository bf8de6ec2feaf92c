"""Sending a report by e-mail: HTML with a plain-text (Markdown) alternative."""

from __future__ import annotations

from monitor.config import EmailSettings
from monitor.core.errors import ConfigError
from monitor.report.build import Report
from monitor.report.html import render_html
from monitor.report.markdown import render_markdown


def send_email(r: Report, cfg: EmailSettings) -> None:
    """The report as an HTML mail with a plain-text (Markdown) alternative."""
    import smtplib
    from email.message import EmailMessage

    if not cfg.smtp_host or not cfg.to:
        raise ConfigError("report.email needs smtp_host and at least one address in to")
    msg = EmailMessage()
    msg["Subject"] = f"Link report {r.generated_at:%Y-%m-%d}: " + ", ".join(
        f"{v} {n}" for v, n in r.totals.most_common()
    )
    msg["From"] = cfg.from_addr
    msg["To"] = ", ".join(cfg.to)
    msg.set_content(render_markdown(r))
    msg.add_alternative(render_html(r), subtype="html")
    with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=30) as smtp:
        if cfg.starttls:
            smtp.starttls()
        if cfg.username:
            smtp.login(cfg.username, cfg.password or "")
        smtp.send_message(msg)
