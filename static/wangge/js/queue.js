/* The queue filters apply as soon as a choice changes; the Filter button stays for typing a
   grid cell and for browsers without JS. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-queue-filters]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.type === "radio" || target.tagName === "SELECT") {
        // A changed filter starts again at page one.
        form.submit();
      }
    });
  });
})();
