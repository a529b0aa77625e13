// AME dashboard: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";

  // Forms marked data-busy show a progress state while the server works (generation takes a
  // few seconds) and cannot be sent twice.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var status = document.getElementById(form.getAttribute("data-status") || "");
      if (status) {
        status.textContent = form.getAttribute("data-busy");
      }
      form.setAttribute("aria-busy", "true");
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    });
  });

  // Buttons with data-confirm ask first.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // The brand editor's banner preview follows the fields as they are typed.
  var brand = document.getElementById("brand-form");
  var preview = document.getElementById("banner-preview");
  if (brand && preview) {
    var timer = null;
    var refresh = function () {
      var params = new URLSearchParams();
      ["company_name", "primary_color", "accent_color", "cta_text", "value_propositions"].forEach(function (name) {
        var field = brand.elements.namedItem(name);
        if (field && "value" in field) {
          params.set(name, field.value);
        }
      });
      preview.src = "/app/brand/preview.png?" + params.toString();
    };
    brand.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 300);
    });
  }
})();
