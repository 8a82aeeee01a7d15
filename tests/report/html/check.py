#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# The html suite's reader of pages (tests/report/run-html.sh), on Debian's
# python3-html5lib:
#   check.py valid DIR   every page of a site: a strict parse by the
#                        WHATWG HTML algorithm (any parse error fails),
#                        then the rules the pages promise: lang, one h1,
#                        a CSP, every chart an image with a title and a
#                        description it names, ids unique, links only to
#                        pages of the site that exist, nothing external,
#                        no script, no event handler, no style attribute.
#                        Prints one line per problem; silent if none.
#   check.py dom DIR NAME FILE  the same rules but the strict parse, on
#                        Chromium's DOM (FILE) of page NAME of site DIR:
#                        what the browser built holds nothing hostile.
#   check.py text FILE   what a page says (a page as written, or the DOM
#                        Chromium dumped): headings, verdict lines, and
#                        each table row as its cells joined by " | ",
#                        whitespace collapsed.
# Strict html5lib rather than tidy: tidy 5.6 (Debian 12) does not know
# inline SVG and calls an SVG <title id=...> a proprietary attribute.
import base64
import hashlib
import os
import re
import sys

import html5lib

SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def parse(path, strict):
    parser = html5lib.HTMLParser(strict=strict)
    with open(path, "rb") as f:
        return parser.parse(f)


def local(tag):
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def text(el):
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


def cell(el):
    """A cell's text; the items of a list in it joined by "; "."""
    items = [text(li) for li in el.iter() if local(li.tag) == "li"]
    return "; ".join(items) if items else text(el)


def problems(site, name, path=None):
    """What is wrong with page name of site (path: Chromium's DOM of it,
    parsed leniently, since a serialised DOM is not a document)."""
    try:
        doc = parse(path or os.path.join(site, name), path is None)
    except Exception as e:  # html5lib's ParseError, with its position
        return ["%s: not valid HTML: %s" % (name, e)]
    out = []
    html = doc
    if html.get("lang") != "en":
        out.append("%s: <html> has no lang" % name)
    els = list(doc.iter())
    if sum(1 for e in els if local(e.tag) == "h1") != 1:
        out.append("%s: not exactly one h1" % name)
    metas = [e for e in els if local(e.tag) == "meta"]
    if not any(m.get("charset") == "utf-8" for m in metas):
        out.append("%s: no meta charset utf-8" % name)
    if not any(m.get("http-equiv") == "Content-Security-Policy" and
               m.get("content", "").startswith("default-src 'none'")
               for m in metas):
        out.append("%s: no Content-Security-Policy default-src 'none'" % name)
    ids = {}
    for e in els:
        if e.get("id") is not None:
            ids[e.get("id")] = ids.get(e.get("id"), 0) + 1
        for a, v in e.attrib.items():
            if a.lower().startswith("on") or a == "style":
                out.append("%s: <%s %s>" % (name, local(e.tag), a))
            if re.search(r"(?i)^\s*(https?:|//|javascript:|data:)", v) or \
                    re.search(r"(?i)url\(", v):
                out.append("%s: <%s %s=%r>: external" % (name,
                           local(e.tag), a, v))
        if local(e.tag) in ("script", "iframe", "object", "embed", "img",
                            "link", "base", "form", "image", "use"):
            out.append("%s: a <%s> element" % (name, local(e.tag)))
        if local(e.tag) == "a":
            href = e.get("href", "")
            if "/" in href or not os.path.isfile(os.path.join(site, href)):
                out.append("%s: link to %r, not a page of the site" %
                           (name, href))
    out += ["%s: id %r used %d times" % (name, i, n)
            for i, n in ids.items() if n > 1]
    for s in (e for e in els if e.tag == SVG + "svg"):
        want = s.get("aria-labelledby", "").split()
        kids = {c.get("id"): local(c.tag) for c in s}
        if s.get("role") != "img" or len(want) != 2 or \
                kids.get(want[0]) != "title" or kids.get(want[1]) != "desc":
            out.append("%s: a chart without role=img, title and desc" % name)
    for t in (e for e in els if local(e.tag) == "table"):
        if not any(local(c.tag) == "th" and c.get("scope") == "col"
                   for c in t.iter()):
            out.append("%s: a table without column headers" % name)
    style = [e for e in els if local(e.tag) == "style"]
    if len(style) != 1 or re.search(r"@import|url\(", text(style[0])):
        out.append("%s: not one self-contained style sheet" % name)
    else:
        # The CSP allows the style sheet by its hash: the browser applies
        # it only if this is right.
        h = base64.b64encode(hashlib.sha256(
            style[0].text.encode()).digest()).decode()
        if not any("style-src 'sha256-%s';" % h in m.get("content", "")
                   for m in metas):
            out.append("%s: the CSP does not name the style sheet's hash"
                       % name)
    return out


def valid(site):
    names = sorted(n for n in os.listdir(site) if n.endswith(".html"))
    if "index.html" not in names:
        print("%s: no index.html" % site)
    for n in names:
        for p in problems(site, n):
            print(p)


def says(path):
    doc = parse(path, False)
    for e in doc.iter():
        tag = local(e.tag)
        if tag in ("h1", "h2"):
            print("%s: %s" % (tag, text(e)))
        elif tag == "li" and e.tag.startswith(XHTML) and \
                any(local(c.tag) == "span" and "sev" in c.get("class", "")
                    for c in e):
            print("verdict: %s" % text(e))
        elif tag == "tr":
            print("row: %s" % " | ".join(
                cell(c) for c in e if local(c.tag) in ("td", "th")))
        elif tag == "p" and "totals" not in e.get("class", ""):
            if e.get("class") == "meta":
                print("meta: %s" % text(e))
        elif tag == "ul" and e.get("class") == "totals":
            print("totals: %s" % " / ".join(text(li) for li in e))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "valid":
        valid(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "dom":
        for p in problems(sys.argv[2], sys.argv[3], sys.argv[4]):
            print(p)
    elif len(sys.argv) == 3 and sys.argv[1] == "text":
        says(sys.argv[2])
    else:
        sys.exit("usage: check.py valid DIR | dom DIR NAME FILE | text FILE")
