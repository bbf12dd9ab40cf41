// /docs (Swagger UI) and /redoc (ReDoc) over our OpenAPI description; both from npm.
"use strict";
if (document.getElementById("swagger-ui") && window.SwaggerUIBundle) {
  window.ui = window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui",
    deepLinking: true, layout: "BaseLayout" });
} else if (document.getElementById("redoc") && window.Redoc) {
  window.Redoc.init("/openapi.json", {}, document.getElementById("redoc"));
}
