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

// --- assets --------------------------------------------------------------------------

async function checkAssets() {
  const { ok, body } = await getJSON("/dashboard-assets");
  if (ok && body.missing.length) {
    const note = $("assets-note");
    note.hidden = false;
    note.textContent = "Some dashboard components are not installed (" + body.missing.join(", ") +
      "). Run `npm ci` in src/sanctiongraph/api/static/ to draw graphs and use YASGUI; " +
      "everything else works without them.";
  }
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
  if (!entity.ok) { alert(entity.body.detail); return; }
  const e = entity.body;
  $("entity").hidden = false;
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
    status.replaceChildren(text("span", o.status.replace("_", " "), "status-" + o.status),
      text("span", ` — blocked owners hold ${o.blocked_share}% (${OFAC})`));
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

// Why an entity has its status under the OFAC 50 Percent Rule.
function statusReason(o) {
  if (o.reasons.length) return o.status.replace("_", " ") + ": " + o.reasons.map(reasonText).join("; ");
  return `not blocked: not listed, blocked owners hold ${o.blocked_share}%`;
}

function reasonText(r) {
  if (typeof r === "string") return r;
  if (r.kind === "listing") return `listed on ${r.list} (${(r.programs || []).map(shortName).join(", ")}) since ${r.start} — ${OFAC}`;
  if (r.kind === "ownership") return `${r.owner} (${r.owner_status.replace("_", " ")}) owns ${percentText(r.percent)} — ${OFAC}`;
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
        label: `${name || id}\n${status.replace("_", " ")}`,
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
      d.status && d.status !== "unknown" ? "status: " + d.status : "",
      d.reason ? "reason: " + d.reason : "", d.citation ? "citation: " + d.citation : ""]
      .filter(Boolean).join("\n");
  });
  window.__cy = cy;  // for tests
  container.dataset.entity = entity.id || entity.entity;  // drawn
}

// --- validation ----------------------------------------------------------------------

const MEDIA = { zip: "application/zip", ttl: "text/turtle", nt: "application/n-triples",
  jsonld: "application/ld+json", json: "application/ld+json" };
let findings = [];

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
    renderFindings();
    return;
  }
  findings = body.findings;
  $("validate-summary").textContent = `as of ${body.as_of}: ` + (body.conforms ? "conforms" : "does not conform") +
    `; ${findings.length} findings`;
  fillFilter("filter-severity", findings.map((f) => f.severity));
  fillFilter("filter-citation", findings.map((f) => f.citation || "-"));
  renderFindings();
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

function renderFindings() {
  const severity = $("filter-severity").value;
  const citation = $("filter-citation").value;
  const shown = findings.filter((f) => (!severity || f.severity === severity) &&
    (!citation || (f.citation || "-") === citation));
  $("findings").hidden = $("findings-filters").hidden = findings.length === 0;
  $("findings-count").textContent = `${shown.length} of ${findings.length} shown`;
  $("findings").tBodies[0].replaceChildren(...shown.map((f) => {
    const tr = document.createElement("tr");
    tr.append(text("td", f.severity, "sev-" + f.severity), text("td", f.citation || "-"),
      text("td", f.id || f.focus), text("td", f.message), text("td", (f.evidence || []).join(" → ")));
    return tr;
  }));
}

// --- start ---------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("as-of").value = new Date().toISOString().slice(0, 10);
  $("search-form").addEventListener("submit", search);
  $("validate-form").addEventListener("submit", validate);
  $("filter-severity").addEventListener("change", renderFindings);
  $("filter-citation").addEventListener("change", renderFindings);
  checkAssets();
  const wanted = new URLSearchParams(location.search).get("entity");
  if (wanted) showEntity(wanted);
});
