/* Funnelbook pages: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  /* Copy buttons: <button data-copy="input-id" data-copy-status="status-id">. The status
     element (role="status") announces the copy. */
  function setUpCopyButtons(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = document.getElementById(button.dataset.copy);
        var status = document.getElementById(button.dataset.copyStatus || "copy-status");
        if (!input) { return; }
        input.select();
        var done = function () {
          if (!status) { return; }
          // Emptied first so a second copy is announced again.
          status.textContent = "";
          window.setTimeout(function () { status.textContent = "Link copied."; }, 50);
        };
        var fallback = function () { document.execCommand("copy"); done(); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, fallback);
        } else {
          fallback();
        }
      });
    });
  }

  /* The period picker (templates/includes/period_picker.html): the start and end dates
     show only for "Custom dates…" (the option whose value is empty). Hidden, they are
     disabled too, so the form never sends a period and dates together. */
  function setUpPeriodPickers(root) {
    root.querySelectorAll("[data-period-picker]").forEach(function (form) {
      var select = form.querySelector("select[name=period]");
      var custom = form.querySelector("[data-period-custom]");
      if (!select || !custom) { return; }
      var dates = custom.querySelectorAll("input");
      var update = function () {
        var isCustom = select.value === "";
        custom.hidden = !isCustom;
        dates.forEach(function (input) {
          input.disabled = !isCustom;
          input.required = isCustom;
        });
      };
      select.addEventListener("change", update);
      form.classList.add("period-picker--enhanced");
      update();
    });
  }

  function setUp() {
    setUpCopyButtons(document);
    setUpPeriodPickers(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
