/* Every admin page: a character count under item text, sections of the issue page that fold,
 * and keyboard shortcuts in the review queue (j/k next/previous, a approve, r send back:
 * focuses the comment box, Enter there sends the item back). No framework, no network. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function charCount(textarea) {
    var out = document.createElement("div");
    out.className = "wf-charcount";
    out.setAttribute("aria-live", "polite");
    function update() {
      var n = Array.from(textarea.value.replace(/\s+/g, "")).length;
      out.textContent = n + " 字";
      out.classList.toggle("wf-long", n > 400);
    }
    textarea.insertAdjacentElement("afterend", out);
    textarea.addEventListener("input", update);
    update();
  }

  function foldSections(tbody) {
    tbody.querySelectorAll("tr.wf-section-row").forEach(function (header) {
      if (!header.dataset.sectionId) return;
      var th = header.querySelector("th");
      th.style.cursor = "pointer";
      th.title = "点击折叠/展开本栏目";
      th.addEventListener("click", function () {
        var folded = header.classList.toggle("wf-folded");
        var row = header.nextElementSibling;
        while (row && !row.classList.contains("wf-section-row")) {
          row.style.display = folded ? "none" : "";
          row = row.nextElementSibling;
        }
      });
    });
  }

  function queueKeys(queue) {
    var rows = Array.from(queue.querySelectorAll("tbody tr"));
    if (!rows.length) return;
    var current = 0;
    function select(i) {
      rows[current].classList.remove("wf-current");
      current = Math.max(0, Math.min(rows.length - 1, i));
      rows[current].classList.add("wf-current");
      rows[current].scrollIntoView({block: "nearest"});
    }
    select(0);
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target.matches && target.matches("input[type=text], textarea, select");
      if (typing) {
        if (event.key === "Enter" && target.name && target.name.indexOf("comment_") === 0 && target.value.trim()) {
          event.preventDefault();
          var back = target.closest("tr").querySelector('button[value^="request_changes:"]');
          if (back) back.click();
        } else if (event.key === "Escape") {
          target.blur();
        }
        return;
      }
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "j") { select(current + 1); event.preventDefault(); }
      else if (event.key === "k") { select(current - 1); event.preventDefault(); }
      else if (event.key === "a") {
        var approve = rows[current].querySelector('button[value^="approve:"]');
        if (approve) { event.preventDefault(); approve.click(); }
      } else if (event.key === "r") {
        var box = rows[current].querySelector('input[name^="comment_"]');
        if (box) { event.preventDefault(); box.focus(); }
      }
    });
  }

  ready(function () {
    document.querySelectorAll('#item_form textarea[name="body"], .wf-items textarea[name$="-body"]').forEach(charCount);
    document.querySelectorAll(".wf-items tbody").forEach(foldSections);
    var queue = document.querySelector(".wf-queue table");
    if (queue) queueKeys(queue);
  });
})();
