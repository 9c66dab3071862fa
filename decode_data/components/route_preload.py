"""Start loading the open page's own scripts together with the app's, not after them.

Reflex serves a page with a path parameter (/lessons/<id>) from one shared HTML file, which
preloads only the app's root scripts. The browser then learns which page it is on once the
app's scripts have run, and only then fetches that page's module and its ~50 chunks: a second
round of loading, a third of a lesson page load. React Router's manifest names every route's
module and imports; this head script reads it the moment it arrives and preloads the chunks of
the route the address matches, as the server would have for a page it knew.
"""

from __future__ import annotations

import reflex as rx

ROUTE_PRELOAD_JS = r"""
(() => {
  let manifest;
  const add = (rel, href, as) => {
    if (document.head.querySelector(`link[href="${href}"]`)) return;
    const link = document.createElement("link");
    link.rel = rel;
    link.href = href;
    link.dataset.routePreload = "";
    if (as) link.as = as;
    document.head.appendChild(link);
  };
  const segments = (path) => path.split("/").filter(Boolean);
  const preload = (routes) => {
    const base = (window.__reactRouterContext || {}).basename || "/";
    const here = segments(location.pathname.slice(base.length - 1));
    for (const route of Object.values(routes || {})) {
      const want = route.path == null || route.id === "root" ? null : segments(route.path);
      if (!want || want.length !== here.length) continue;
      if (!want.every((part, i) => part === here[i] || (part.startsWith(":") && !part.endsWith("?")))) continue;
      [route.module, ...(route.imports || [])].forEach((href) => add("modulepreload", href));
      (route.css || []).forEach((href) => add("preload", href, "style"));
    }
  };
  Object.defineProperty(window, "__reactRouterManifest", {
    configurable: true,
    enumerable: true,
    get: () => manifest,
    set: (value) => {
      manifest = value;
      try { preload(value && value.routes); } catch (error) { /* only a head start: never in the way */ }
    },
  });
})();
"""


def route_preload() -> rx.Component:
    """A plain <script> in the document head (rx.script would add it after hydration)."""
    return rx.el.script(ROUTE_PRELOAD_JS)
