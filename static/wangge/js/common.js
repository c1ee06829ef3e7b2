/* Small behaviours every page shares. No framework: the pages work without JS, this only
   saves a tap. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The language select submits itself; the button stays for browsers without JS.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
