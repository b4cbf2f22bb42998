/* Progressive enhancement only: every page reads and works without this file.
   Font size (remembered in localStorage) and "copy link" buttons. */
(function () {
  "use strict";
  var root = document.documentElement;
  var KEY = "newsroom-font-scale";
  var STEPS = [0.875, 1, 1.125, 1.25, 1.375];
  function stored() {
    try { return parseFloat(localStorage.getItem(KEY)) || 1; } catch (e) { return 1; }
  }
  function apply(scale) {
    root.style.setProperty("--scale", String(scale));
    try { localStorage.setItem(KEY, String(scale)); } catch (e) { /* private mode: not kept */ }
  }
  var current = stored();
  if (current !== 1) { apply(current); }
  var tools = document.querySelector(".reader-tools");
  if (tools) {
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-font-step]");
      if (!button) { return; }
      var index = STEPS.indexOf(stored());
      if (index < 0) { index = 1; }
      index = Math.max(0, Math.min(STEPS.length - 1, index + parseInt(button.dataset.fontStep, 10)));
      apply(STEPS[index]);
    });
  }
  // Tracker filters: folded on a phone (results first), open beside the results on a desktop.
  var filters = document.querySelector(".tracker-filters");
  if (filters && window.matchMedia("(min-width: 64em)").matches) { filters.open = true; }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        button.textContent = "已复制链接";
      }, function () {
        button.textContent = "复制失败,请长按链接";
      });
    });
  });
}());
