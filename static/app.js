// Mailrith Keys: the little JavaScript the console needs. Everything works without it (forms post
// and links navigate); this only makes it quicker. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";

  var opener = null; // the element that opened the current dialog, to return focus to

  function focusable(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll('a[href], button:not([disabled]):not([hidden]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'),
      function (el) { return el.offsetParent !== null || el === document.activeElement; }
    );
  }

  function currentDialog() {
    return document.querySelector('#drawer [role="dialog"], #drawer [role="alertdialog"]');
  }

  function closeDialog() {
    var drawer = document.getElementById("drawer");
    if (!drawer || !drawer.firstElementChild) return;
    var done = drawer.querySelector("[data-done]");
    if (done) { window.location.assign(done.getAttribute("href")); return; } // the Save dialog: go to the list
    drawer.innerHTML = "";
    document.body.classList.remove("has-dialog");
    if (opener && document.body.contains(opener)) opener.focus();
    opener = null;
  }

  function openDialog() {
    var dialog = currentDialog();
    if (!dialog) return;
    document.body.classList.add("has-dialog");
    var first = dialog.querySelector("[data-secret]") || dialog.querySelector('[aria-invalid="true"]') ||
      focusable(dialog).filter(function (el) { return !el.classList.contains("close"); })[0];
    if (first) { first.focus(); if (first.select && first.hasAttribute("data-secret")) first.select(); }
    upgradeCopy(dialog);
  }

  function upgradeCopy(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.addEventListener("click", function () {
        var input = document.querySelector(button.getAttribute("data-copy"));
        var status = button.closest(".field").querySelector(".copy-status");
        var done = function () { button.textContent = "Copied"; if (status) status.textContent = "Copied to the clipboard."; };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(input.value).then(done, function () {
            input.select(); document.execCommand("copy"); done();
          });
        } else {
          input.select(); document.execCommand("copy"); done();
        }
      });
    });
  }

  // Tabs swap only the panel; real links stay for no-JS and new tabs.
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

  document.addEventListener("click", function (e) {
    var trigger = e.target.closest('[hx-target="#drawer"]');
    if (trigger) opener = trigger;
    var close = e.target.closest("#drawer [data-close]");
    if (close) { e.preventDefault(); closeDialog(); return; }
    if (e.target.classList && e.target.classList.contains("overlay")) closeDialog();
  });

  document.addEventListener("keydown", function (e) {
    var dialog = currentDialog();
    if (!dialog) return;
    if (e.key === "Escape") { e.preventDefault(); closeDialog(); return; }
    if (e.key !== "Tab") return;
    var items = focusable(dialog);
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    else if (!dialog.contains(document.activeElement)) { e.preventDefault(); first.focus(); }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "drawer") openDialog();
  });

  document.addEventListener("DOMContentLoaded", function () {
    upgradeTabs(document);
    upgradeCopy(document);
    var highlighted = document.querySelector("tr.highlight");
    if (highlighted) highlighted.scrollIntoView({ block: "center" });
  });
})();
