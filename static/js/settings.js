// Settings pages: small enhancements; every form works without them.
(function () {
  "use strict";

  var CHOICE_TYPES = ["choice", "multi_choice"];

  // Custom field form: the choices box only for the choice types.
  function initCustomFieldForm(form) {
    var type = form.querySelector('[name="field_type"]');
    var choices = form.querySelector('[name="choices"]');
    if (!type || !choices) { return; }
    var box = choices.closest(".field");
    function update() {
      var needed = CHOICE_TYPES.indexOf(type.value) !== -1 || choices.value.trim() !== "";
      box.hidden = !needed;
    }
    type.addEventListener("change", update);
    update();
  }

  // Tag merge: the tag kept cannot also be one of the tags merged away.
  function initTagMerge(form) {
    var target = form.querySelector('[name="target"]');
    if (!target) { return; }
    function update() {
      form.querySelectorAll('input[name="sources"]').forEach(function (box) {
        var isTarget = box.value === target.value;
        if (isTarget) { box.checked = false; }
        box.disabled = isTarget;
      });
    }
    target.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-customfield-form]").forEach(initCustomFieldForm);
    document.querySelectorAll("form[data-tag-merge]").forEach(initTagMerge);
  });
})();
