"""Render ../shared/seeds' citation page (text) as seeds/kazakhstan.html, gvnet style.

Links come from 000_links.tsv where it gives one; entries without a URL stay unlinked.
Run once from the repository root: python scripts/make_seed_html.py
"""

import csv
import html
import re
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "seeds"
text = (SHARED / "000_6a4bac5434ec1c04.txt").read_text("utf-8")
rows = list(csv.DictReader((SHARED / "000_links.tsv").open(encoding="utf-8"), delimiter="\t"))
by_title = {re.sub(r"\s+", " ", r["title"]).strip(): r for r in rows}
lines = [re.sub(r"\s+", " ", ln).strip() for ln in text.splitlines()]
lines = [ln for ln in lines if ln]
STAMP = re.compile(r"^\[(accessed|Last access)")
NAV = re.compile(r"^(.*) in \[Kazakhstan\] \[other countries\]$")

out = []
e = html.escape
i = 0
while i < len(lines):
    ln = lines[i]
    nav = NAV.match(ln)
    if nav:
        slug = nav.group(1).replace(" ", "")
        out.append(
            f'<p class="nav">{e(nav.group(1))} in <a href="{slug}-Kazakhstan.htm">[Kazakhstan]</a>'
            f' <a href="{slug}.htm">[other countries]</a></p>'
        )
        i += 1
        continue
    row = by_title.get(ln)
    if row and int(row["entry_number"]) >= 3:
        title = f"<b>{e(ln)}</b>"
        if row["url"]:
            title = f'<a href="{e(row["url"])}" target="_blank">{title}</a>'
        block = [title]
        i += 1
        while i < len(lines) and (
            (len(lines[i]) < 200 and not lines[i].endswith(".")) or STAMP.match(lines[i])
        ):
            nxt = lines[i]
            if by_title.get(nxt) or nxt.startswith("[page"):
                break
            if STAMP.match(nxt):
                block.append(f'<font color="#808080" size="2">{e(nxt)}</font>')
            elif "may possibly still be accessible" in nxt:
                block.append(f'<font size="2">{e(nxt)}</font>')
            else:
                block.append(f"<i>{e(nxt)}</i>")
            i += 1
        out.append('<p class="cite">' + "<br>\n".join(block) + "</p>")
        continue
    if "[The World Factbook, U.S.C.I.A. 2009]" in ln:
        url = by_title["The World Factbook"]["url"]
        ln = e(ln).replace(
            "[The World Factbook, U.S.C.I.A. 2009]",
            f'[<a href="{e(url)}">The World Factbook, U.S.C.I.A. 2009</a>]',
        )
        out.append(f"<p>{ln}</p>")
    elif ln.endswith("[full country report]"):
        url = rows[1]["url"]
        ln = e(ln).replace("[full country report]", f'<a href="{e(url)}">[full country report]</a>')
        out.append(f"<p>{ln}</p>")
    elif ln == "*** ARCHIVES ***":
        out.append('<h3 align="center">*** ARCHIVES ***</h3>')
    else:
        out.append(f"<p>{e(ln)}</p>")
    i += 1

page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Human Trafficking &amp; Modern-day Slavery - Kazakhstan</title>
</head>
<body>
<h1>Human Trafficking &amp; Modern-day Slavery</h1>
{chr(10).join(out)}
</body>
</html>
"""
Path("seeds/kazakhstan.html").write_text(page, "utf-8")
print("wrote seeds/kazakhstan.html")
