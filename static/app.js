// Mailrith Keys: the little JavaScript the console needs. Everything works without it;
// this only improves things. No inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";

  // Tabs: swap only the panel with htmx, keep real links for no-JS and new tabs.
  function upgradeTabs(root) {
    root.querySelectorAll(".tabs a").forEach(function (a) {
      if (a.hasAttribute("hx-get")) return;
      a.setAttribute("hx-get", a.getAttribute("href"));
      a.setAttribute("hx-target", "#panel");
      a.setAttribute("hx-push-url", "true");
      a.addEventListener("htmx:afterRequest", function () {
        root.querySelectorAll(".tabs a").forEach(function (t) { t.removeAttribute("aria-current"); });
        a.setAttribute("aria-current", "page");
      });
      if (window.htmx) window.htmx.process(a);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    upgradeTabs(document);
  });
})();
