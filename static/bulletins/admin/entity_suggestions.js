// Copy the text an editor selects in the item's body (or headline) into the
// "new entity" name box of the entity suggestions panel.
(function () {
  "use strict";
  var target = document.getElementById("entity-new-name");
  if (!target) return;
  ["id_body", "id_headline"].forEach(function (id) {
    var field = document.getElementById(id);
    if (!field) return;
    var copy = function () {
      var picked = field.value.substring(field.selectionStart, field.selectionEnd).trim();
      if (picked && picked.length <= 100) target.value = picked;
    };
    field.addEventListener("mouseup", copy);
    field.addEventListener("keyup", copy);
    field.addEventListener("select", copy);
  });
})();
