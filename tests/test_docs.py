"""The built documentation site renders in a browser: headless Chromium opens the index page,
the zoo's index, a model page and the examples, and a script run inside each page reports what
the browser made of it (title, the theme's styles applied, tables, images decoded).

The site is the one ``make -C docs html`` builds into ``docs/_build/html`` (or
``$EEGZOO_DOCS_HTML``). Without a built site or without Chromium these tests skip, saying
what to run; with ``EEGZOO_DOCS_REQUIRED=1`` (set by ``.ci/run``, which builds the site and
installs Chromium first) they fail instead.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("EEGZOO_DOCS_HTML", ROOT / "docs" / "_build" / "html"))
REQUIRED = os.environ.get("EEGZOO_DOCS_REQUIRED", "") == "1"
# the checkout the site was built from (docs/_build/html sits in its docs/), for the data it read
BUILT_FROM = SITE.parents[2] if len(SITE.parents) > 2 and (SITE.parents[2] / "docs" / "conf.py").is_file() else ROOT

# Runs in the page once it has loaded: what the browser rendered, as JSON in <pre id=...>.
PROBE = """<script>
window.addEventListener("load", () => {
  const text = (e) => (e ? e.textContent.replace(/\\s+/g, " ").replace(/[#¶]/g, "").trim() : null);
  const header = document.querySelector(".bd-header");
  const report = {
    title: document.title,
    h1: text(document.querySelector("h1")),
    header_position: header ? getComputedStyle(header).position : null,
    header_height: header ? header.getBoundingClientRect().height : 0,
    tables: [...document.querySelectorAll("article table")].map((t) => ({
      header: [...t.querySelectorAll("thead th")].map(text),
      rows: [...t.querySelectorAll("tbody tr")].map((r) => [...r.querySelectorAll("td")].map(text)),
      links: [...t.querySelectorAll("tbody tr")].map((r) => {
        const a = r.querySelector("td a");
        return a ? a.getAttribute("href") : null;
      }),
    })),
    images: [...document.querySelectorAll("article img")].map((i) => ({
      src: i.getAttribute("src"), width: i.naturalWidth, height: i.naturalHeight, complete: i.complete,
    })),
    links: [...document.querySelectorAll("a")].map((a) => a.getAttribute("href")),
    text: document.body.innerText,
  };
  const pre = document.createElement("pre");
  pre.id = "eegzoo-probe";
  pre.textContent = JSON.stringify(report);
  document.body.appendChild(pre);
});
</script>"""


def _need(condition: object, reason: str) -> None:
    if condition:
        return
    if REQUIRED:
        pytest.fail(f"{reason} (EEGZOO_DOCS_REQUIRED=1: the site must be built and Chromium installed first)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A copy of the built site (the probe is written into the pages of the copy)."""
    _need((SITE / "index.html").is_file(), f"no built documentation site at {SITE}: build it with `make -C docs html`")
    copy = tmp_path_factory.mktemp("docs") / "html"
    shutil.copytree(SITE, copy, ignore=shutil.ignore_patterns("_sources", "*.zip", "*.ipynb"))
    return copy


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    _need(exe, "no Chromium to render the site: apt-get install -y chromium")
    return exe  # type: ignore[return-value]


def render(chromium: str, page: Path) -> dict:
    """Open ``page`` in headless Chromium and return the probe's report."""
    assert page.is_file(), f"the built site has no {page.name}"
    source = page.read_text(encoding="utf-8")
    assert "</body>" in source
    page.write_text(source.replace("</body>", PROBE + "</body>", 1), encoding="utf-8")
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--allow-file-access-from-files", "--virtual-time-budget=10000", "--window-size=1280,1000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    match = re.search(r'<pre id="eegzoo-probe"[^>]*>(.*?)</pre>', done.stdout, re.S)
    assert match, f"Chromium rendered no report for {page} (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(html.unescape(match.group(1)))


def _themed(report: dict) -> None:
    """The pydata-sphinx-theme's stylesheet applied: its header is sticky and has a height."""
    assert report["header_position"] == "sticky", report["header_position"]
    assert report["header_height"] > 20


def test_index_page_renders_with_its_navigation(site, chromium):
    report = render(chromium, site / "index.html")
    assert report["title"].startswith("eegzoo"), report["title"]
    assert report["h1"] == "eegzoo"
    _themed(report)
    for target in ("getting_started.html", "user_guide/index.html", "auto_examples/index.html",
                   "generated/zoo/index.html", "api/index.html", "generated/cli.html", "changelog.html"):
        assert target in report["links"], f"the index page does not link {target}"


def test_zoo_index_has_a_row_and_a_page_for_every_model(site, chromium):
    report = render(chromium, site / "generated" / "zoo" / "index.html")
    assert report["title"].startswith("The zoo"), report["title"]
    _themed(report)
    tables = {tuple(t["header"][:2]): t for t in report["tables"]}
    models = tables[("model", "architecture")]
    names = [row[0] for row in models["rows"]]
    assert models["links"] == [f"models/{n}.html" for n in names]
    pages = sorted(p.stem for p in (site / "generated" / "zoo" / "models").glob("*.html"))
    assert sorted(names) == pages and len(pages) >= 30
    assert "fblightconvnet" in names and "fblightconvnet.graz-sample" in names
    row = models["rows"][names.index("fblightconvnet.graz-sample")]
    assert row[1] == "fblightconvnet" and "pretrained" in row
    datasets = tables[("dataset", "source")]
    assert sorted(r[0] for r in datasets["rows"]) == sorted(
        p.stem for p in (site / "generated" / "zoo" / "datasets").glob("*.html"))
    if REQUIRED:  # a site built in this run lists exactly the registry
        import eegzoo

        assert sorted(names) == sorted(eegzoo.list_models())
        assert sorted(r[0] for r in datasets["rows"]) == sorted(eegzoo.list_datasets())


def test_a_model_page_renders_its_layer_table_and_card(site, chromium):
    import eegzoo
    from eegzoo.models.base import count_parameters

    report = render(chromium, site / "generated" / "zoo" / "models" / "fblightconvnet.html")
    assert report["title"].startswith("fblightconvnet"), report["title"]
    assert report["h1"] == "fblightconvnet"
    _themed(report)
    layers = next(t for t in report["tables"] if t["header"] == ["layer", "type", "output", "parameters"])
    rows = {row[0]: row for row in layers["rows"]}
    assert {"spectral_filtering", "final_layer"} <= set(rows)
    total = count_parameters(eegzoo.create_model("fblightconvnet"))
    assert f"Total: {total:,} trainable parameters." in report["text"]
    assert sum(int(row[3].replace(",", "")) for row in layers["rows"]) == total
    for section in ("Signal", "Hyperparameters", "Layers", "Model card", "Citation"):
        assert re.search(rf"^{section}$", report["text"], re.M), f"no section {section!r}"
    assert "@article{ma2023lightconvnet" in report["text"]
    # measured speed-ups reach the page exactly when benchmarks/results/speed.csv has them
    speed = Path(os.environ.get("EEGZOO_DOCS_RESULTS", BUILT_FROM / "benchmarks" / "results")) / "speed.csv"
    rows = list(csv.DictReader(speed.open(newline=""))) if speed.is_file() else []
    measured = {r["measurement"]: r for r in rows if r.get("model", "").strip().lower() == "fblightconvnet"}
    shown = next((t for t in report["tables"] if t["header"][:2] == ["measurement", "eegzoo (ms)"]), None)
    if not REQUIRED and shown is None and measured:
        pytest.skip("the built site predates benchmarks/results/speed.csv: rebuild it with `make -C docs html`")
    assert (shown is not None) == bool(measured)
    if measured and "eval_b64" in measured:
        row = next(r for r in shown["rows"] if r[0] == "eval forward, batch 64")
        assert row[3] == f"{float(measured['eval_b64']['speedup']):.1f}x"


def test_every_example_shows_its_figures(site, chromium):
    pages = sorted((site / "auto_examples").glob("plot_*.html"))
    assert len(pages) >= 5, [p.name for p in pages]
    for page in pages:
        report = render(chromium, page)
        _themed(report)
        figures = [i for i in report["images"] if "sphx_glr_" + page.stem in (i["src"] or "")]
        assert figures, f"{page.name} shows no figure"
        for image in figures:  # decoded by the browser, not a broken link
            assert image["complete"] and image["width"] > 100 and image["height"] > 100, (page.name, image)
