// sanctiongraph dashboard: our own code; third-party bundles come from npm.
"use strict";

const $ = (id) => document.getElementById(id);
const OFAC = "OFAC 50 Percent Rule";

function asOf() { return $("as-of").value; }

async function getJSON(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({ detail: response.statusText }));
  return { ok: response.ok, status: response.status, body };
}

function text(tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content == null ? "" : String(content);
  if (cls) el.className = cls;
  return el;
}

function shortName(iri) {
  if (!iri) return "";
  const cut = Math.max(iri.lastIndexOf("/"), iri.lastIndexOf("#"));
  return iri.slice(cut + 1);
}

function percentText(percent) {
  if (percent == null) return "?";
  if (typeof percent === "object") return `${percent.min ?? "?"}–${percent.max ?? "?"}%`;
  return `${percent}%`;
}

// --- assets, and what is loaded ---------------------------------------------------

// What each npm bundle gives; without it, that part is off and the rest works.
const PARTS = [
  ["cytoscape", "the graph drawing of an entity's chains and paths"],
  ["dagre", "the graph drawing of an entity's chains and paths"],
  ["yasgui", "the SPARQL query editor (the endpoint itself works)"],
  ["swagger-ui", "the API documentation page /docs (/openapi.json works)"],
  ["redoc", "the API documentation page /redoc (/openapi.json works)"],
];

async function checkAssets() {
  const { ok, body } = await getJSON("/dashboard-assets");
  if (!ok || !body.missing.length) return;
  const off = [...new Set(body.missing.flatMap((asset) =>
    PARTS.filter(([name]) => asset.includes(name)).map(([, part]) => part)))];
  const note = $("assets-note");
  note.hidden = false;
  note.dataset.off = off.length;
  note.textContent = "Off until the dashboard's npm packages are installed " +
    "(npm ci --prefix src/sanctiongraph/api/static): " + off.join("; ") +
    ". Search, entities, status, designations, validation and findings work without them.";
}

// The home page: which graphs the store holds and the derived graph's date.
async function showLoaded() {
  const { ok, body } = await getJSON("/healthz");
  const summary = $("loaded-summary");
  if (!ok || !body.graphs) {
    summary.textContent = "This server needs an API key to say what it holds.";
    return;
  }
  if (body.derived_as_of) {
    $("as-of").value = body.derived_as_of;  // answers on this date need no re-derivation
    summary.textContent = `The store holds ${body.graphs.length} graphs; the facts derived from ` +
      `them (who is blocked, which institutions a measure covers) are for ${body.derived_as_of}. ` +
      "Another date in the box above derives them again for that date (a few seconds).";
  } else {
    summary.textContent = `The store holds ${body.graphs.length} graphs; nothing is derived yet.`;
  }
  $("loaded-graphs").replaceChildren(...body.graphs.map((g) =>
    text("li", `${g.graph.replace(/^.*\/graph\//, "")}: ${g.triples.toLocaleString("en")} triples`)));
  const example = await getJSON("/entities/my-silver-sail");
  $("try-examples").hidden = !example.ok;
}

function entityLink(id) {
  const link = text("a", id);
  link.href = "?" + new URLSearchParams({ entity: id });
  link.dataset.entity = id;
  return link;
}

// Links to an entity open it in the page (and still work in a new tab).
function followEntityLinks(event) {
  const link = event.target.closest("a[data-entity]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  showEntity(link.dataset.entity);
}

// --- search --------------------------------------------------------------------------

async function search(event) {
  event.preventDefault();
  const q = $("search-input").value.trim();
  const list = $("search-results");
  list.replaceChildren();
  if (!q) return;
  const { ok, body } = await getJSON("/entities?" + new URLSearchParams({ q }));
  if (!ok) { list.append(text("li", body.detail)); return; }
  if (!body.length) list.append(text("li", "no entity matches " + q));
  for (const hit of body) {
    const li = text("li", `${hit.name || shortName(hit.entity)} (${hit.id || hit.entity})`);
    li.dataset.entity = hit.id || hit.entity;
    li.addEventListener("click", () => showEntity(li.dataset.entity));
    list.append(li);
  }
}

// --- one entity ----------------------------------------------------------------------

async function showEntity(ident) {
  const key = encodeURIComponent(ident);
  const params = new URLSearchParams({ as_of: asOf() });
  const [entity, owners, access] = await Promise.all([
    getJSON(`/entities/${key}?${params}`),
    getJSON(`/entities/${key}/owners?${params}`),
    getJSON(`/entities/${key}/access-paths?${params}&max_depth=4`),
  ]);
  $("entity").hidden = false;
  $("entity").scrollIntoView();
  const missing = $("entity-missing");
  missing.hidden = entity.ok;
  for (const part of $("entity").querySelectorAll(".columns, #graph, #graph-detail, .legend, h3"))
    part.hidden = !entity.ok;
  if (!entity.ok) {
    $("entity-title").textContent = ident;
    $("entity-iri").textContent = "";
    missing.textContent = entity.status === 404
      ? `The store holds no entity ${ident}: findings of an uploaded package name its own ids, which ` +
        "the store knows only once the package is loaded (sanctiongraph load)."
      : entity.body.detail;
    return;
  }
  const e = entity.body;
  $("entity-title").textContent = e.names.join(" / ") || shortName(e.entity);
  $("entity-iri").textContent = e.entity + (e.id ? `  (id ${e.id})` : "") + `  as of ${e.as_of}`;

  const derived = $("entity-derived");
  derived.replaceChildren(...(e.derived_classes.length
    ? e.derived_classes.map((c) => text("li", c.label || shortName(c.iri)))
    : [text("li", "none")]));
  $("entity-kinds").replaceChildren(
    ...e.kinds.map((k) => text("li", "kind: " + (k.label || shortName(k.iri)))),
    ...e.jurisdictions.map((j) => text("li", "jurisdiction: " + (j.label || shortName(j.iri)))));

  const rows = e.designations.map((d) => {
    const tr = document.createElement("tr");
    for (const value of [shortName(d.list), shortName(d.program), d.start, d.end,
      d.active ? "yes" : "no", d.source]) tr.append(text("td", value));
    return tr;
  });
  $("designations").tBodies[0].replaceChildren(...rows);

  const status = $("entity-status");
  const reasons = $("entity-reasons");
  reasons.replaceChildren();
  if (owners.ok) {
    const o = owners.body;
    status.replaceChildren(text("span", statusWord(o.status), "status-" + statusClass(o.status)),
      text("span", o.status === "not_blocked"
        ? ` — no blocked status follows from the data loaded (blocked owners hold ${o.blocked_share}%; ${OFAC}); this is not a clearance`
        : ` — blocked owners hold ${o.blocked_share}% (${OFAC})`));
    for (const r of o.reasons) reasons.append(text("li", reasonText(r)));
  } else {
    status.textContent = "ownership status unavailable: " + owners.body.detail;
  }
  const paths = $("access-paths");
  paths.replaceChildren();
  if (access.ok) {
    if (!access.body.paths.length) paths.append(text("li", "no access path found"));
    for (const p of access.body.paths) {
      paths.append(text("li", p.hops.join(" → ") + (p.accounts.length ? "  via " + p.accounts.join(", ") : "") +
        (p.reaches_us ? "  (reaches a US correspondent account)" : "")));
    }
  } else {
    paths.append(text("li", "access paths unavailable: " + access.body.detail));
  }
  const around = await statusesOf(graphIds(e, owners.ok ? owners.body : null, access.ok ? access.body : null), params);
  drawGraph(e, owners.ok ? owners.body : null, access.ok ? access.body : null, around);
}

// The OFAC status of every other entity in the graph, so each node shows its own reason.
async function statusesOf(ids, params) {
  const answers = await Promise.all(ids.map((id) =>
    getJSON(`/entities/${encodeURIComponent(id)}/owners?${params}`)));
  const statuses = {};
  ids.forEach((id, i) => { if (answers[i].ok) statuses[id] = answers[i].body; });
  return statuses;
}

function graphIds(entity, owners, access) {
  const ids = new Set();
  for (const chain of owners ? owners.chains : []) for (const step of chain) ids.add(step.owner).add(step.owned);
  for (const path of access ? access.paths : []) for (const hop of path.hops) ids.add(hop);
  ids.delete(entity.id || entity.entity);
  return [...ids];
}

// "not blocked" only means that no blocked status was derived: it is not shown as a clearance.
function statusWord(status) {
  return status === "not_blocked" ? "not derived" : status.replace("_", " ");
}

function statusClass(status) {
  return status === "not_blocked" ? "not_derived" : status;
}

// Why an entity has its status under the OFAC 50 Percent Rule.
function statusReason(o) {
  if (o.reasons.length) return statusWord(o.status) + ": " + o.reasons.map(reasonText).join("; ");
  return `not derived: not listed, blocked owners hold ${o.blocked_share}%`;
}

function reasonText(r) {
  if (typeof r === "string") return r;
  if (r.kind === "listing") return `listed on ${r.list} (${(r.programs || []).map(shortName).join(", ")}) since ${r.start} — ${OFAC}`;
  if (r.kind === "ownership") return `${r.owner} (${statusWord(r.owner_status)}) owns ${percentText(r.percent)} — ${OFAC}`;
  if (r.kind === "control") return `${r.owner} controls it: ${r.note}`;
  if (r.kind === "possible_listing") return `${r.note}: ${r.list} (${(r.programs || []).map(shortName).join(", ")}) — ${OFAC}`;
  if (r.kind === "blocked_by_law") return `${r.certain ? "" : "possibly "}blocked by operation of law as ${r.class}${r.named ? "" : " (owned or controlled by it)"} — ${r.citation}`;
  if (r.kind === "office_of") return `an office of ${r.institution} (${r.institution_status.replace("_", " ")})`;
  if (r.kind === "office") return `its office ${r.office} is ${r.office_status.replace("_", " ")}: ${r.note}`;
  return JSON.stringify(r);
}

// --- graph ---------------------------------------------------------------------------

// Indirect access through nested correspondent accounts: what Section 311 asks covered
// financial institutions to look for (31 CFR 1010.659(b)(3)(i)(B)).
const INDIRECT = "31 CFR 1010.659(b)(3)(i)(B)";

// Every node and edge carries its reason and citation; labels show status and citation.
function graphElements(entity, owners, access, statuses) {
  const nodes = new Map();
  const edges = new Map();  // chains and paths share steps: one edge each
  const self = (entity.id || entity.entity);
  const node = (id, name) => {
    if (!nodes.has(id)) {
      const o = id === self ? owners : statuses[id];
      const status = o ? o.status : "unknown";
      nodes.set(id, { data: { id, name: name || id, status,
        label: `${name || id}\n${statusWord(status)}`,
        reason: o ? statusReason(o) : "status unavailable", citation: OFAC } });
    }
  };
  node(self, entity.names[0]);
  nodes.get(self).data.main = "yes";
  for (const chain of owners ? owners.chains : []) {
    for (const step of chain) {
      node(step.owner);
      node(step.owned);
      const id = `own:${step.owner}>${step.owned}`;
      edges.set(id, { data: { id, source: step.owner, target: step.owned, kind: "own",
        label: `${percentText(step.percent)}\n${OFAC}`, citation: OFAC,
        reason: `${step.owner} owns ${percentText(step.percent)} of ${step.owned}` } });
    }
  }
  for (const path of access ? access.paths : []) {
    path.hops.forEach((hop) => node(hop));
    for (let i = 0; i + 1 < path.hops.length; i++) {
      const id = `acc:${path.accounts[i]}`;
      const toUS = i + 2 === path.hops.length && path.reaches_us;  // reaches_us is about the last account
      if (edges.has(id) && !toUS) continue;
      edges.set(id, { data: { id, source: path.hops[i], target: path.hops[i + 1], kind: "acc",
        label: `${path.accounts[i]}\n${INDIRECT}`, citation: INDIRECT,
        reason: `${path.hops[i]} holds account ${path.accounts[i]} at ${path.hops[i + 1]}: indirect access` +
          (toUS ? "; a US correspondent account of a covered financial institution" : "") } });
    }
  }
  return [...nodes.values(), ...edges.values()];
}

function drawGraph(entity, owners, access, statuses) {
  const container = $("graph");
  const elements = graphElements(entity, owners, access, statuses);
  delete container.dataset.entity;
  if (typeof window.cytoscape !== "function") {
    container.replaceChildren(text("div",
      "The graph drawing library (cytoscape, from npm) is not installed; run `npm ci` in " +
      "src/sanctiongraph/api/static/. Edges: " +
      elements.filter((x) => x.data.source).map((x) =>
        `${x.data.source} → ${x.data.target} (${x.data.reason}; ${x.data.citation})`).join("; "),
      "fallback"));
    return;
  }
  if (window.cytoscapeDagre && !window.__dagreRegistered) {
    window.cytoscape.use(window.cytoscapeDagre);
    window.__dagreRegistered = true;
  }
  container.replaceChildren();
  const cy = window.cytoscape({
    container, elements, maxZoom: 1.5, minZoom: 0.2,
    // Left to right, with room for the two-line edge labels (amount or account, citation).
    layout: { name: window.__dagreRegistered ? "dagre" : "breadthfirst", rankDir: "LR", rankSep: 170,
      nodeSep: 70, directed: true },
    style: [
      { selector: "node", style: { label: "data(label)", "background-color": "#9e9e9e", "font-size": 11,
        "text-wrap": "wrap", "text-max-width": 160 } },
      { selector: 'node[status = "blocked"]', style: { "background-color": "#b00020" } },
      { selector: 'node[status = "possibly_blocked"]', style: { "background-color": "#e69500" } },
      { selector: 'node[main = "yes"]', style: { "border-width": 3, "border-color": "#000" } },
      { selector: "edge", style: { label: "data(label)", "curve-style": "bezier", "target-arrow-shape": "triangle",
        width: 2, "font-size": 9, "text-wrap": "wrap", "text-background-color": "#fff",
        "text-background-opacity": 0.8, "line-color": "#555", "target-arrow-color": "#555" } },
      { selector: 'edge[kind = "acc"]', style: { "line-color": "#1565c0", "target-arrow-color": "#1565c0",
        "line-style": "dashed" } },
    ],
  });
  cy.on("tap", "node, edge", (event) => {
    const d = event.target.data();
    $("graph-detail").textContent = [d.source ? `${d.source} → ${d.target}` : `${d.name} (${d.id})`,
      d.status && d.status !== "unknown" ? "status: " + statusWord(d.status) : "",
      d.reason ? "reason: " + d.reason : "", d.citation ? "citation: " + d.citation : ""]
      .filter(Boolean).join("\n");
  });
  window.__cy = cy;  // for tests
  container.dataset.entity = entity.id || entity.entity;  // drawn
}

// --- validation ----------------------------------------------------------------------

const MEDIA = { zip: "application/zip", ttl: "text/turtle", nt: "application/n-triples",
  jsonld: "application/ld+json", json: "application/ld+json" };
const SEVERITIES = ["violation", "warning", "info"];
const COLOURS = { violation: "#b00020", warning: "#e69500", info: "#1b5e20" };
const PAGE_SIZE = 20;
let findings = [];
let ruleNames = {};
let page = 0;

// The rule of a finding: its shape's folder (shapes/<rule>#Shape); shapes/common is
// data quality (as sanctiongraph.validate.rules.rule_of_shape says).
function ruleOf(finding) {
  const key = (finding.shape || "").split("/shapes/")[1]?.split("#")[0];
  return !key || key === "common" ? "data-quality" : key;
}

function ruleName(rule) {
  return ruleNames[rule] || (rule === "data-quality" ? "Data quality" : rule);
}

async function validate(event) {
  event.preventDefault();
  const file = $("package-file").files[0];
  if (!file) return;
  const media = MEDIA[file.name.split(".").pop().toLowerCase()] || "application/octet-stream";
  $("validate-summary").textContent = "validating…";
  const { ok, body } = await getJSON("/validate?" + new URLSearchParams({ as_of: asOf() }),
    { method: "POST", headers: { "content-type": media }, body: file });
  const errors = $("input-errors");
  errors.replaceChildren();
  if (!ok) {
    $("validate-summary").textContent = typeof body.detail === "string" ? body.detail : "the upload was refused";
    for (const e of body.errors || []) {
      errors.append(text("li", `${e.file}${e.row ? ", row " + e.row : ""}${e.column ? ", column " + e.column : ""}: ${e.message}`));
    }
    findings = [];
    renderSummary([]);
    renderFindings();
    return;
  }
  findings = body.findings;
  ruleNames = Object.fromEntries((body.rules_checked || []).map((r) => [r.rule, r.name]));
  $("validate-summary").textContent = `as of ${body.as_of}: ` + (body.conforms ? "conforms" : "does not conform") +
    `; ${findings.length} findings`;
  renderSummary(body.rules_checked || []);
  fillFilter("filter-severity", findings.map((f) => f.severity));
  fillFilter("filter-citation", findings.map((f) => f.citation || "-"));
  page = 0;
  renderFindings();
}

// Counts by rule and severity: a table, and the same as stacked bars (our own SVG).
function countsByRule() {
  const counts = new Map();
  for (const f of findings) {
    const rule = ruleOf(f);
    if (!counts.has(rule)) counts.set(rule, { violation: 0, warning: 0, info: 0 });
    counts.get(rule)[f.severity] += 1;
  }
  return [...counts.entries()].sort((a, b) => ruleName(a[0]).localeCompare(ruleName(b[0])));
}

function renderSummary(rules) {
  const counts = countsByRule();
  $("findings-summary").hidden = findings.length === 0;
  $("findings-counts").tBodies[0].replaceChildren(...counts.map(([rule, c]) => {
    const tr = document.createElement("tr");
    tr.dataset.rule = rule;
    tr.append(text("td", ruleName(rule)), ...SEVERITIES.map((s) => text("td", c[s], c[s] ? "sev-" + s : "")),
      text("td", c.violation + c.warning + c.info));
    return tr;
  }));
  $("rules-not-applied").replaceChildren(...rules.filter((r) => !r.applied).map((r) =>
    text("li", `${r.name} (${r.citation}) was not applied: ${r.note || "the data hold nothing it reads"}`)));
  $("findings-chart").replaceChildren(...(counts.length ? [chart(counts)] : []));
}

function chart(counts) {
  const NS = "http://www.w3.org/2000/svg";
  const el = (tag, attributes, content) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    if (content != null) node.textContent = content;
    return node;
  };
  // Each rule: its name on a line, then a bar per severity, end to end, with the counts.
  const width = 900, bar = 20, name = 18, gap = 12, legend = 26, room = 60;
  const most = Math.max(...counts.map(([, c]) => c.violation + c.warning + c.info));
  const scale = (width - room) / most;
  const svg = el("svg", { width, height: legend + counts.length * (name + bar + gap), role: "img",
    "aria-label": "findings by rule and severity" });
  SEVERITIES.forEach((s, i) => {
    svg.append(el("rect", { x: i * 110, y: 4, width: 14, height: 14, fill: COLOURS[s] }),
      el("text", { x: i * 110 + 20, y: 16 }, s));
  });
  counts.forEach(([rule, c], row) => {
    const top = legend + row * (name + bar + gap);
    svg.append(el("text", { x: 0, y: top + 13, "font-weight": "bold" }, ruleName(rule)));
    const y = top + name;
    let x = 0;
    for (const s of SEVERITIES) {
      if (!c[s]) continue;
      const w = c[s] * scale;
      const rect = el("rect", { x, y, width: w, height: bar, fill: COLOURS[s], "data-severity": s, "data-rule": rule });
      rect.append(el("title", {}, `${ruleName(rule)}: ${c[s]} ${s}`));
      svg.append(rect);
      if (w > 24) svg.append(el("text", { x: x + w / 2, y: y + bar * 0.72, "text-anchor": "middle", fill: "#fff" }, c[s]));
      x += w;
    }
    svg.append(el("text", { x: x + 6, y: y + bar * 0.72 }, c.violation + c.warning + c.info));
  });
  return svg;
}

function fillFilter(id, values) {
  const select = $(id);
  select.replaceChildren(text("option", "all"));
  select.options[0].value = "";
  for (const value of [...new Set(values)].sort()) {
    const option = text("option", value);
    option.value = value;
    select.append(option);
  }
}

function filtersChanged() {
  page = 0;
  renderFindings();
}

// The findings that pass the filters, rule by rule (rules in the order of the counts),
// PAGE_SIZE to a page, each rule's rows under a heading row.
function renderFindings() {
  const severity = $("filter-severity").value;
  const citation = $("filter-citation").value;
  const order = new Map(countsByRule().map(([rule], i) => [rule, i]));
  const rank = (f) => SEVERITIES.indexOf(f.severity);
  const shown = findings.filter((f) => (!severity || f.severity === severity) &&
    (!citation || (f.citation || "-") === citation))
    .sort((a, b) => order.get(ruleOf(a)) - order.get(ruleOf(b)) || rank(a) - rank(b));
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  page = Math.min(page, pages - 1);
  const slice = shown.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  $("findings").hidden = $("findings-filters").hidden = findings.length === 0;
  $("findings-pager").hidden = shown.length <= PAGE_SIZE;
  $("page-label").textContent = `page ${page + 1} of ${pages}`;
  $("page-previous").disabled = page === 0;
  $("page-next").disabled = page >= pages - 1;
  $("findings-count").textContent = `${shown.length} of ${findings.length} shown`;
  const table = $("findings");
  for (const body of [...table.tBodies]) body.remove();
  let group = null;
  for (const f of slice) {
    const rule = ruleOf(f);
    if (!group || group.dataset.rule !== rule) {
      group = table.createTBody();
      group.className = "group";
      group.dataset.rule = rule;
      const all = shown.filter((x) => ruleOf(x) === rule).length;
      const head = document.createElement("tr");
      const th = text("th", `${ruleName(rule)} — ${all} finding${all === 1 ? "" : "s"}`);
      th.colSpan = 5;
      head.append(th);
      group.append(head);
    }
    const tr = document.createElement("tr");
    tr.className = "finding";
    const id = document.createElement("td");
    id.append(f.id ? entityLink(f.id) : text("span", f.focus));
    const evidence = document.createElement("td");
    (f.evidence || []).forEach((item, i) => {
      if (i) evidence.append(" → ");
      evidence.append(ID_LIKE.test(item) ? entityLink(item) : item);
    });
    tr.append(text("td", f.severity, "sev-" + f.severity), text("td", f.citation || "-"),
      id, text("td", f.message), evidence);
    group.append(tr);
  }
}

// Evidence items that are data-package ids (not sentences, citations or a party's role
// such as "intermediary") link to their view: one token with a separator or a digit.
const ID_LIKE = /^(?=[^ ]*[-_.:0-9])[A-Za-z0-9][A-Za-z0-9._:-]*$/;

function turnPage(step) {
  page += step;
  renderFindings();
  $("findings").scrollIntoView();
}

// --- start ---------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", async () => {
  $("as-of").value = new Date().toISOString().slice(0, 10);
  $("search-form").addEventListener("submit", search);
  $("validate-form").addEventListener("submit", validate);
  $("filter-severity").addEventListener("change", filtersChanged);
  $("filter-citation").addEventListener("change", filtersChanged);
  $("page-previous").addEventListener("click", () => turnPage(-1));
  $("page-next").addEventListener("click", () => turnPage(1));
  document.addEventListener("click", followEntityLinks);
  checkAssets();
  await showLoaded();  // sets the date first: the derived graph's
  const wanted = new URLSearchParams(location.search).get("entity");
  if (wanted) showEntity(wanted);
  document.body.dataset.ready = "yes";  // for tests
});
