/* Small helps for the queues and the case page; every form works without them.
   - The queue filters apply as soon as a choice changes; the Filter button stays for a
     typed grid cell and for browsers without JS.
   - Dispatch: the lead unit cannot also be its own co-handler (the server drops it
     anyway), so its box is disabled while it is the lead. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-queue-filters]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.type === "radio" || target.tagName === "SELECT") {
        form.submit();
      }
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
