"""Click through the dashboard in headless Chromium (Debian's, driven by Playwright).

Each test does what a user does (types, clicks, picks, uploads) and checks both the page
and its screenshots (decoded with Pillow). Screenshots go to pytest's tmp_path; their paths
are printed (`pytest -s` shows them). Playwright drives /usr/bin/chromium: never run
`playwright install`. Skipped without chromium, the npm assets, Playwright or Pillow.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

import httpx
import pytest

from sanctiongraph.api import Settings, create_app
from sanctiongraph.api.assets import STATIC_DIR
from sanctiongraph.derive import run_derivers
from sanctiongraph.ingest import read_sources
from sanctiongraph.loading import load_bundled, load_sources
from sanctiongraph.store import open_store

from .conftest import AS_OF, MINIMAL

ROOT = Path(__file__).parents[2]
DEMO_WORLD = ROOT / "data" / "examples" / "demo-world"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not (STATIC_DIR / "node_modules").is_dir(),
    reason="needs Debian chromium and `npm ci --prefix src/sanctiongraph/api/static`",
)

PAGE = 20  # findings to a page (app.js PAGE_SIZE)
# Colours of app.js / app.css: blocked nodes and access-path edges.
BLOCKED_RED = (0xB0, 0x00, 0x20)
ACCESS_BLUE = (0x15, 0x65, 0xC0)


# --- a server over the minimal package and the demo world, and a browser ---------------


@contextlib.contextmanager
def serving(app):
    """``app`` served by uvicorn in a thread on a free port; its base URL."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(300):
        if server.started:
            break
        time.sleep(0.1)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def demo_store():
    store = open_store(in_memory=True)
    load_bundled(store)
    load_sources(store, read_sources([MINIMAL, DEMO_WORLD]))
    run_derivers(store, AS_OF)
    return store


@pytest.fixture(scope="module")
def live_server():
    with serving(create_app(Settings(store=demo_store(), query_deadline_seconds=10))) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright (the test extra)"
    )
    pytest.importorskip("PIL", reason="pip install pillow (the test extra)")
    with sync_api.sync_playwright() as playwright:
        # launch() gives every browser a fresh temporary profile (user-data-dir).
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, base_url=live_server)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.url.endswith("/favicon.ico")
            and problems.append(f"{r.status} {r.request.method} {r.url}")
        ),
    )
    yield tab
    context.close()
    assert problems == []  # no script errors, no failed request


def open_dashboard(page) -> None:
    page.goto("/dashboard/")
    page.fill("#as-of", AS_OF.isoformat())  # the date the test store was derived for


def search_and_open(page, query: str, entity_id: str) -> list[str]:
    """Type in the search box, submit, click the hit; the ids of all hits."""
    page.fill("#search-input", query)
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-results li[data-entity]")
    hits = page.eval_on_selector_all(
        "#search-results li", "lis => lis.map(li => li.dataset.entity)"
    )
    page.click(f'#search-results li[data-entity="{entity_id}"]')
    page.wait_for_selector(f'#graph[data-entity="{entity_id}"]')  # entity shown, graph drawn
    return hits


# --- screenshots ------------------------------------------------------------------------


def shot(locator, path: Path):
    from PIL import Image

    locator.screenshot(path=path)
    print(f"screenshot: {path}")
    return Image.open(path).convert("RGB")


def colours(image) -> Counter:
    return Counter({rgb: n for n, rgb in image.getcolors(image.width * image.height)})


def near(counts: Counter, rgb: tuple[int, int, int], tolerance: int = 12) -> int:
    """How many pixels have about this colour."""
    return sum(n for c, n in counts.items() if all(abs(a - b) <= tolerance for a, b in zip(c, rgb)))


def non_background(counts: Counter) -> int:
    return sum(n for c, n in counts.items() if min(c) < 235)


# --- 1 and 2: search, designations and derived status -----------------------------------


def test_search_and_north_korean_bank(page, tmp_path):
    open_dashboard(page)
    assert page.is_hidden("#entity")
    hits = search_and_open(page, "pyong bank", "kp-bank")
    assert set(hits) == {"kp-bank", "kp-bank-cn"}

    assert page.inner_text("#entity-title") == "Example Pyong Bank"
    assert "as of 2026-11-23" in page.inner_text("#entity-iri")
    derived = page.eval_on_selector_all(
        "#entity-derived li", "lis => lis.map(li => li.textContent)"
    )
    assert "North Korean banking institution" in derived and "blocked entity" in derived
    rows = page.eval_on_selector_all(
        "#designations tbody tr", "trs => trs.map(tr => [...tr.cells].map(td => td.textContent))"
    )
    assert rows == [["SDN", "DPRK3", "2017-01-01", "", "yes", "fictitious"]]
    assert page.inner_text("#entity-status .status-blocked") == "blocked"
    # Listed, and owned by the Government of North Korea: blocked by law too (510.311(b)).
    assert page.inner_text("#entity-reasons").splitlines() == [
        "blocked by operation of law as the Government of North Korea (owned or controlled "
        "by it) — 31 CFR 510.201(a)(1), 31 CFR 510.311(b)",
        "listed on SDN (DPRK3) since 2017-01-01 — OFAC 50 Percent Rule",
        "kp-gov (blocked) owns 100% — OFAC 50 Percent Rule",
    ]

    image = shot(page.locator("#entity"), tmp_path / "kp-bank.png")
    assert image.width > 1000 and image.height > 600
    assert near(colours(image), BLOCKED_RED) > 500  # the red "blocked" status and node


def test_fifty_percent_rule_and_graph(page, tmp_path):
    open_dashboard(page)
    hits = search_and_open(page, "Silver Sail", "my-silver-sail")
    assert "my-silver-sail" in hits and "kp-pine" not in hits

    assert page.inner_text("#entity-title") == "Silver Sail Finance Sdn Bhd"
    assert page.inner_text("#entity-status") == (
        "blocked — blocked owners hold 60% (OFAC 50 Percent Rule)"
    )
    # kp-pine is the Government of North Korea's: what it owns 50% or more of is too.
    assert page.inner_text("#entity-reasons").splitlines() == [
        "blocked by operation of law as the Government of North Korea (owned or controlled "
        "by it) — 31 CFR 510.201(a)(1), 31 CFR 510.311(b)",
        "kp-pine (blocked) owns 60% — OFAC 50 Percent Rule",
    ]
    assert page.eval_on_selector_all("#designations tbody tr", "trs => trs.length") == 0
    assert "my-silver-sail → my-hornbill → sg-orchid-ny" in page.inner_text("#access-paths")

    # The graph: every node and edge with its label, reason and citation.
    elements = page.evaluate("window.__cy.elements().map(e => e.data())")
    nodes = {e["id"]: e for e in elements if "source" not in e}
    edges = {(e["source"], e["target"]): e for e in elements if "source" in e}
    assert set(nodes) == {"gov-kp", "kp-pine", "my-silver-sail", "my-hornbill", "sg-orchid-ny"}
    assert set(edges) == {
        ("gov-kp", "kp-pine"),
        ("kp-pine", "my-silver-sail"),
        ("my-silver-sail", "my-hornbill"),
        ("my-hornbill", "sg-orchid-ny"),
    }
    assert all(e["reason"] and e["citation"] and e["label"] for e in elements)
    assert nodes["my-silver-sail"]["label"] == "Silver Sail Finance Sdn Bhd\nblocked"
    assert nodes["kp-pine"]["reason"] == (
        "blocked: blocked by operation of law as the Government of North Korea (owned or "
        "controlled by it) — 31 CFR 510.201(a)(1), 31 CFR 510.311(b); listed on SDN (DPRK3) "
        "since 2016-03-16 — OFAC 50 Percent Rule; gov-kp (blocked) owns 100% — OFAC 50 "
        "Percent Rule"
    )
    assert nodes["my-hornbill"]["status"] == "not_blocked"
    own = edges["kp-pine", "my-silver-sail"]
    assert (own["label"], own["citation"]) == ("60%\nOFAC 50 Percent Rule", "OFAC 50 Percent Rule")
    assert own["reason"] == "kp-pine owns 60% of my-silver-sail"
    access = edges["my-hornbill", "sg-orchid-ny"]
    assert access["label"] == "acc-orny-hornbill\n31 CFR 1010.659(b)(3)(i)(B)"
    assert "US correspondent account" in access["reason"]

    # Clicking a node and an edge on the canvas shows its reason and citation.
    page.locator("#graph").scroll_into_view_if_needed()

    def click_element(element_id: str) -> str:
        """Click the element where the graph draws it; the detail must change. The page
        may still be settling after the scroll (seen once in CI: the first click missed),
        so the position is read again and the click retried, a few times at most."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        before = page.inner_text("#graph-detail")
        for _ in range(5):
            box = page.locator("#graph").bounding_box()
            x, y = page.evaluate(
                """id => { const e = window.__cy.getElementById(id);
                          const p = e.isNode() ? e.renderedPosition() : e.renderedMidpoint();
                          return [p.x, p.y]; }""",
                element_id,
            )
            page.mouse.click(box["x"] + x, box["y"] + y)
            try:
                page.wait_for_function(
                    "before => document.getElementById('graph-detail').innerText !== before",
                    arg=before,
                    timeout=1000,
                )
                break
            except PlaywrightTimeout:
                continue
        return page.inner_text("#graph-detail")

    assert click_element("kp-pine") == (
        "kp-pine (kp-pine)\nstatus: blocked\n"
        "reason: blocked: blocked by operation of law as the Government of North Korea "
        "(owned or controlled by it) — 31 CFR 510.201(a)(1), 31 CFR 510.311(b); listed on "
        "SDN (DPRK3) since 2016-03-16 — OFAC 50 Percent Rule; gov-kp (blocked) owns 100% — "
        "OFAC 50 Percent Rule\n"
        "citation: OFAC 50 Percent Rule"
    )
    assert click_element("own:kp-pine>my-silver-sail") == (
        "kp-pine → my-silver-sail\nreason: kp-pine owns 60% of my-silver-sail\n"
        "citation: OFAC 50 Percent Rule"
    )
    assert click_element("acc:acc-hornbill-silversail").endswith(
        "citation: 31 CFR 1010.659(b)(3)(i)(B)"
    )

    # The canvas is drawn: red blocked nodes, blue access edges, grey others, label text.
    image = shot(page.locator("#graph"), tmp_path / "graph-my-silver-sail.png")
    counts = colours(image)
    assert non_background(counts) > 5_000
    assert len(counts) > 50  # anti-aliased text and shapes, not a flat fill
    assert near(counts, BLOCKED_RED) > 1_000  # two blocked nodes
    assert near(counts, ACCESS_BLUE, 30) > 100  # the dashed access-path edges
    assert near(counts, (0x9E, 0x9E, 0x9E)) > 1_000  # three grey (not blocked) nodes


# --- 4: upload a data package, filter the findings -------------------------------------


def demo_world_zip(tmp_path: Path) -> Path:
    path = tmp_path / "demo-world.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for csv in sorted(DEMO_WORLD.glob("*.csv")):
            archive.write(csv, csv.name)
    return path


def table_rows(page) -> list[list[str]]:
    """The finding rows on the page shown (not the rules' heading rows)."""
    return page.eval_on_selector_all(
        "#findings tbody tr.finding",
        "trs => trs.map(tr => [...tr.cells].map(td => td.textContent))",
    )


def all_pages(page) -> list[list[str]]:
    """Every finding row, turning the pages with the pager."""
    rows = table_rows(page)
    while page.is_visible("#findings-pager") and page.is_enabled("#page-next"):
        label = page.inner_text("#page-label")
        page.click("#page-next")
        page.wait_for_function(
            "l => document.getElementById('page-label').textContent !== l", arg=label
        )
        rows += table_rows(page)
    return rows


def test_upload_package_and_filter_findings(page, live_server, tmp_path):
    package = demo_world_zip(tmp_path)
    # What the table should show, asked of the API directly.
    report = httpx.post(
        f"{live_server}/validate",
        params={"as_of": AS_OF.isoformat()},
        content=package.read_bytes(),
        headers={"content-type": "application/zip"},
        timeout=60,
    ).json()
    findings = report["findings"]
    severities = Counter(f["severity"] for f in findings)
    citations = Counter(f["citation"] for f in findings)
    both = Counter((f["severity"], f["citation"]) for f in findings)
    citation = "31 CFR 1010.659(b)(1)"  # violations only ((b)(2) is a warning: fincen-311 F3)
    assert 0 < severities["violation"] < len(findings)
    assert both["violation", citation] > 0 and both["warning", citation] == 0

    open_dashboard(page)
    page.set_input_files("#package-file", package)
    page.click("#validate-form button[type=submit]")
    page.wait_for_selector("#findings:not([hidden])")
    n = len(findings)
    assert (
        page.inner_text("#validate-summary") == f"as of 2026-11-23: does not conform; {n} findings"
    )
    assert page.inner_text("#findings-count") == f"{n} of {n} shown"
    # Paged (PAGE findings to a page) and grouped by rule: a heading row per rule.
    assert n > PAGE and len(table_rows(page)) == PAGE
    assert page.inner_text("#page-label") == f"page 1 of {-(-n // PAGE)}"
    everything = shot(page.locator("#findings"), tmp_path / "findings-all.png")
    assert len(all_pages(page)) == n
    page.click("#page-previous")

    page.select_option("#filter-severity", "violation")
    assert page.inner_text("#page-label") == "page 1 of 2"  # back to the first page
    rows = all_pages(page)
    assert len(rows) == severities["violation"]
    assert {r[0] for r in rows} == {"violation"}
    assert page.inner_text("#findings-count") == f"{severities['violation']} of {n} shown"
    violations = shot(page.locator("#findings"), tmp_path / "findings-violations.png")

    page.select_option("#filter-citation", citation)
    rows = table_rows(page)
    assert len(rows) == both["violation", citation]
    assert {(r[0], r[1]) for r in rows} == {("violation", citation)}
    assert all(r[2] for r in rows)  # each row names the focus (an account id)

    page.select_option("#filter-severity", "warning")
    assert table_rows(page) == []
    assert page.inner_text("#findings-count") == f"0 of {n} shown"

    page.select_option("#filter-severity", "")
    assert len(table_rows(page)) == citations[citation]
    one_citation = shot(page.locator("#findings"), tmp_path / "findings-one-citation.png")

    # The screenshots show the filtering: shorter tables, only red (violation) severities.
    assert everything.height > one_citation.height > 0
    assert everything.height < 6_000  # a page, not every finding at once
    assert near(colours(violations), (0x1B, 0x5E, 0x20)) == 0
    assert near(colours(violations), BLOCKED_RED) > 100


# --- issue 19 item 7: the home page, counts and chart, links, "not derived" -------------


def test_home_page_says_what_is_loaded_and_what_to_try(page, live_server, tmp_path):
    health = httpx.get(f"{live_server}/healthz").json()
    page.goto("/dashboard/")
    page.wait_for_selector("body[data-ready=yes]")
    assert page.input_value("#as-of") == health["derived_as_of"] == AS_OF.isoformat()
    assert f"for {AS_OF.isoformat()}" in page.inner_text("#loaded-summary")
    graphs = page.eval_on_selector_all("#loaded-graphs li", "lis => lis.map(li => li.textContent)")
    assert len(graphs) == len(health["graphs"])
    assert any(g.startswith("derived: ") for g in graphs)
    assert page.is_visible("#try-examples")
    assert page.is_hidden("#assets-note")  # every npm part is installed here
    shot(page.locator("#home"), tmp_path / "home.png")
    page.click('#try-examples a[data-entity="my-silver-sail"]')
    page.wait_for_selector('#graph[data-entity="my-silver-sail"]')
    assert page.inner_text("#entity-title") == "Silver Sail Finance Sdn Bhd"


def test_nothing_green_where_no_status_is_derived(page, tmp_path):
    open_dashboard(page)
    search_and_open(page, "Hornbill", "my-hornbill")
    assert page.inner_text("#entity-status .status-not_derived") == "not derived"
    assert "this is not a clearance" in page.inner_text("#entity-status")
    nodes = {e["id"]: e for e in page.evaluate("window.__cy.nodes().map(n => n.data())")}
    assert nodes["my-hornbill"]["label"].endswith("\nnot derived")
    image = shot(page.locator("#entity"), tmp_path / "not-derived.png")
    assert near(colours(image), (0x1B, 0x5E, 0x20), 30) == 0  # no green anywhere


def test_findings_counted_and_charted_by_rule_and_ids_open_the_entity(page, live_server, tmp_path):
    package = demo_world_zip(tmp_path)
    report = httpx.post(
        f"{live_server}/validate",
        params={"as_of": AS_OF.isoformat()},
        content=package.read_bytes(),
        headers={"content-type": "application/zip"},
        timeout=60,
    ).json()
    names = {r["rule"]: r["name"] for r in report["rules_checked"]}
    expected = Counter(
        (names[f["shape"].split("/shapes/")[1].split("#")[0]], f["severity"])
        for f in report["findings"]
    )
    open_dashboard(page)
    page.set_input_files("#package-file", package)
    page.click("#validate-form button[type=submit]")
    page.wait_for_selector("#findings-summary:not([hidden])")
    rows = page.eval_on_selector_all(
        "#findings-counts tbody tr", "trs => trs.map(tr => [...tr.cells].map(td => td.textContent))"
    )
    seen = Counter()
    for rule, violation, warning, info, total in rows:
        for severity, count in (("violation", violation), ("warning", warning), ("info", info)):
            if int(count):
                seen[rule, severity] = int(count)
        assert int(total) == int(violation) + int(warning) + int(info)
    assert seen == expected
    bars = page.eval_on_selector_all(
        "#findings-chart rect[data-rule]", "rs => rs.map(r => [r.dataset.rule, r.dataset.severity])"
    )
    assert len(bars) == len(expected)
    chart = shot(page.locator("#findings-summary"), tmp_path / "findings-chart.png")
    counts = colours(chart)
    for rgb in (BLOCKED_RED, (0xE6, 0x95, 0x00), (0x1B, 0x5E, 0x20)):
        assert near(counts, rgb) > 200, rgb
    # The rules' heading rows, in the order of the counts table.
    headings = page.eval_on_selector_all(
        "#findings tbody.group", "bs => bs.map(b => b.dataset.rule)"
    )
    assert headings and headings == sorted(set(headings), key=headings.index)
    # A finding's id, and the ids in its evidence, open their view.
    page.select_option("#filter-citation", "31 CFR 1010.659(b)(1)")
    first = page.locator("#findings tr.finding").first
    ident = first.locator("td:nth-child(3) a").inner_text()
    evidence = first.locator("td:nth-child(5) a[data-entity]").all_inner_texts()
    assert ident and len(evidence) >= 2
    first.locator("td:nth-child(3) a").click()
    page.wait_for_function(
        "id => document.getElementById('entity-iri').textContent.includes(`(id ${id})`)", arg=ident
    )
    assert page.is_visible("#entity") and page.is_hidden("#entity-missing")
    page.locator(
        f'#findings tr.finding td:nth-child(5) a[data-entity="{evidence[1]}"]'
    ).first.click()
    page.wait_for_function(
        "id => document.getElementById('entity-iri').textContent.includes(`(id ${id})`)",
        arg=evidence[1],
    )
    # A party's role in the evidence ("intermediary" of tx-nk-03) is a word, not an id.
    page.select_option("#filter-citation", "31 CFR 1010.659(b)(2)")
    roles = page.eval_on_selector_all(
        "#findings tr.finding td:nth-child(5)", "tds => tds.map(td => td.textContent)"
    )
    assert any("intermediary" in r for r in roles)
    assert page.locator('#findings a[data-entity="intermediary"]').count() == 0


def test_docs_and_redoc_render_offline(page, tmp_path):
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() > 5
    shot(page.locator("body"), tmp_path / "docs.png")
    page.goto("/redoc")
    page.wait_for_selector("#redoc h1, #redoc [data-section-id]")
    assert "sanctiongraph" in page.inner_text("#redoc")
    shot(page.locator("body"), tmp_path / "redoc.png")


def test_a_term_iri_lands_on_its_section_of_the_vocabulary_page(page, tmp_path):
    pytest.importorskip("pylode", reason="pip install 'sanctiongraph[docs]'")
    page.goto("/ontology#FinancialInstitution", timeout=60_000)  # made at the first request
    section = page.locator("#FinancialInstitution")
    assert "financial institution" in section.inner_text().lower()
    top = page.evaluate(
        "document.getElementById('FinancialInstitution').getBoundingClientRect().top"
    )
    assert abs(top) < 200  # scrolled to it
    shot(page.locator("#FinancialInstitution"), tmp_path / "ontology-term.png")


def test_without_npm_the_dashboard_names_what_is_off(browser, monkeypatch, tmp_path):
    """Issue 19 item 14: the server runs without the npm packages, and the page says
    which parts are off; the rest (search, entity, status) works."""
    from sanctiongraph.api import assets

    monkeypatch.setattr(assets, "STATIC_DIR", tmp_path)  # no node_modules there
    with serving(create_app(Settings(store=demo_store()))) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, base_url=url)
        context.set_default_timeout(15_000)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        try:
            tab.goto("/dashboard/")
            tab.wait_for_selector("body[data-ready=yes]")
            note = tab.inner_text("#assets-note")
            for part in ("graph drawing", "query editor", "/docs", "/redoc", "npm ci"):
                assert part in note, part
            shot(tab.locator("body"), tmp_path / "without-npm.png")
            tab.click('#try-examples a[data-entity="my-silver-sail"]')
            tab.wait_for_selector("#graph .fallback")
            assert "not installed" in tab.inner_text("#graph .fallback")
            assert tab.inner_text("#entity-status .status-blocked") == "blocked"
            assert errors == []
        finally:
            context.close()


# --- 5: YASGUI with the example queries --------------------------------------------------


def test_yasgui_runs_an_example_query(page, live_server, tmp_path):
    example = next(
        q for q in httpx.get(f"{live_server}/example-queries").json() if q["name"] == "sdn-listings"
    )
    expected = httpx.post(
        f"{live_server}/sparql",
        data={"query": example["text"]},
        headers={"accept": "application/sparql-results+json"},
        timeout=30,
    )
    bindings = expected.json()["results"]["bindings"]
    assert any(b["entity"]["value"].endswith("/kp-pine") for b in bindings)

    open_dashboard(page)
    page.click("#sparql-link")
    page.wait_for_url("**/sparql")
    tab = page.get_by_role("tab", name="sdn-listings", exact=True)
    tab.click()
    assert tab.get_attribute("aria-selected") == "true"
    panel = page.locator(".tabPanel.active")
    assert (
        "sg:onList <https://w3id.org/sanctiongraph/ref/list/SDN>"
        in panel.locator(".CodeMirror").inner_text()
    )
    panel.locator(".yasqe_queryButton").click()
    table = panel.locator(".yasr table.dataTable")
    table.locator("tbody tr").first.wait_for()
    assert panel.locator(".yasr_response_chip").inner_text().startswith(f"{len(bindings)} results")
    assert table.locator("tbody tr").count() == min(len(bindings), 50)  # YASGUI's page size
    headers = table.locator("thead th").all_inner_texts()
    assert [h.strip() for h in headers if h.strip()] == [
        "entity",
        "entity_id",
        "name",
        "program",
        "start",
        "end",
        "source",
    ]
    text = table.inner_text()
    for entity_id in ("kp-bank", "kp-pine"):
        assert entity_id in text

    image = shot(panel, tmp_path / "yasgui-sdn-listings.png")
    assert image.height > 400 and non_background(colours(image)) > 10_000
