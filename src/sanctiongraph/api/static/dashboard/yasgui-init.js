// YASGUI on our own endpoint, with the named queries of queries/ as tabs.
"use strict";
(async () => {
  const yasgui = new window.Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: "/sparql", method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: () => [{ endpoint: "/sparql" }] },
    yasqe: { autocompleters: [] },  // no lookups on third-party services
    persistenceId: null,
  });
  const response = await fetch("/example-queries");
  if (!response.ok) return;
  for (const query of await response.json()) {
    yasgui.addTab(false, { name: query.name, yasqe: { value: query.text },
      requestConfig: { endpoint: "/sparql", method: "POST" } });
  }
})();
