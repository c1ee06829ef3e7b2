/* Small helps for the queues and the case page; every form works without them.
   - The queue filters apply as soon as a choice is clicked; the Filter button stays for
     keyboard use, a typed grid cell and browsers without JS.
   - Dispatch: the lead unit cannot also be its own co-handler (the server drops it
     anyway), so its box is disabled while it is the lead. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-queue-filters]").forEach(function (form) {
    // A pointer click on a choice applies it. Arrow keys move through a radio group one
    // choice at a time, so a keyboard user is not sent to a new page on every key: they
    // choose, then press Filter (WCAG 3.2.2, on input).
    var byPointer = false;
    form.addEventListener("pointerdown", function () { byPointer = true; });
    form.addEventListener("keydown", function () { byPointer = false; });
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.tagName === "SELECT" || (target.type === "radio" && byPointer)) { form.submit(); }
    });
  });

  document.querySelectorAll("select[name=unit]").forEach(function (lead) {
    var boxes = lead.form.querySelectorAll("input[type=checkbox][name=co_handlers]");
    if (!boxes.length) { return; }
    function sync() {
      boxes.forEach(function (box) {
        var isLead = box.value === lead.value;
        if (isLead) { box.checked = false; }
        box.disabled = isLead;
      });
    }
    lead.addEventListener("change", sync);
    sync();
  });
})();
