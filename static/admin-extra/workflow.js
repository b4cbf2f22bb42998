/* Newsroom admin: drag-and-drop ordering of a bulletin's items, and small form helpers.
 * Dragging only rewrites the bulletin form's hidden "item_order" field ("item:section,…");
 * the save applies it through workflow.reorder_items, so nothing moves until the editor
 * saves, and typed text is never lost to a reload. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function setupSorting(group) {
    var tbody = group.querySelector("tbody");
    var orderInput = document.getElementById("id_item_order");
    if (!tbody || !orderInput) return;
    var colspan = (group.querySelector("thead tr") || {children: []}).children.length || 1;

    // Give every section a header row, also the empty ones, so items can be dropped there.
    var data = document.getElementById("wf-sections");
    if (data) {
      var sections = JSON.parse(data.textContent);
      var newHeader = tbody.querySelector('tr.wf-section-row[data-section-id=""]');
      var headers = tbody.querySelectorAll("tr.wf-section-row");
      var seen = {};
      headers.forEach(function (row) { seen[row.dataset.sectionId] = row; });
      sections.forEach(function (section) {
        if (seen[String(section.id)]) return;
        var row = document.createElement("tr");
        row.className = "wf-section-row wf-section-empty";
        row.dataset.sectionId = String(section.id);
        var th = document.createElement("th");
        th.colSpan = colspan;
        th.textContent = section.name;
        row.appendChild(th);
        tbody.insertBefore(row, newHeader);  // null: append at the end
        seen[String(section.id)] = row;
      });
      // Keep the headers in section order: re-append each group after its header.
      var groups = sections.map(function (section) {
        var header = seen[String(section.id)];
        var rows = [header];
        var next = header.nextElementSibling;
        while (next && !next.classList.contains("wf-section-row")) {
          if (next.dataset.itemId) rows.push(next);
          else break;
          next = next.nextElementSibling;
        }
        return rows;
      });
      groups.forEach(function (rows) {
        rows.forEach(function (row) { tbody.insertBefore(row, newHeader); });
      });
    }

    var dragged = null;

    function writeOrder() {
      var section = "";
      var order = [];
      Array.prototype.forEach.call(tbody.rows, function (row) {
        if (row.classList.contains("wf-section-row")) {
          section = row.dataset.sectionId;
        } else if (row.dataset.itemId && section) {
          row.dataset.sectionId = section;
          // The (disabled, never posted) section select shows where the row now belongs.
          var select = row.querySelector('select[name$="-section"]');
          if (select) select.value = section;
          order.push(row.dataset.itemId + ":" + section);
        }
      });
      orderInput.value = order.join(",");
    }

    tbody.addEventListener("dragstart", function (event) {
      if (!event.target.classList || !event.target.classList.contains("wf-handle")) return;
      dragged = event.target.closest("tr");
      dragged.classList.add("wf-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.itemId);
    });
    tbody.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("wf-dragging");
      dragged = null;
    });
    tbody.addEventListener("dragover", function (event) {
      if (!dragged) return;
      var row = event.target.closest("tr");
      if (!row || row === dragged || row.parentNode !== tbody) return;
      var isHeader = row.classList.contains("wf-section-row");
      if (isHeader && !row.dataset.sectionId) return;  // not into the "new items" block
      if (!isHeader && !row.dataset.itemId) return;
      event.preventDefault();
      var box = row.getBoundingClientRect();
      var after = isHeader || event.clientY > box.top + box.height / 2;
      tbody.insertBefore(dragged, after ? row.nextSibling : row);
    });
    tbody.addEventListener("drop", function (event) {
      if (!dragged) return;
      event.preventDefault();
      dragged.classList.add("wf-moved");
      writeOrder();
    });
  }

  ready(function () {
    document.querySelectorAll('.wf-items[data-sortable="1"]').forEach(setupSorting);

    document.querySelectorAll("button[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.dataset.confirm)) event.preventDefault();
      });
    });

    document.querySelectorAll("select.wf-correct-item").forEach(function (select) {
      select.addEventListener("change", function () {
        var form = select.closest("form");
        var option = select.options[select.selectedIndex];
        form.querySelector(".wf-correct-body").value = option.dataset.body || "";
        form.querySelector(".wf-correct-version").value = option.dataset.version || "";
      });
    });
  });
  // Small helpers that used to be inline onclick handlers, which the admin's CSP forbids.
  ready(function () {
    document.querySelectorAll("[data-select-on-click]").forEach(function (input) {
      input.addEventListener("click", function () { input.select(); });
    });
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("click", function () {
        document.querySelectorAll(box.dataset.selectAll).forEach(function (c) {
          c.checked = box.checked;
        });
      });
    });
  });
})();
