// Account menu (a <details>): closes on Escape, on a click elsewhere, and when focus leaves it.
(function () {
  "use strict";
  function closeMenu(menu, refocus) {
    if (!menu.open) return;
    menu.open = false;
    if (refocus) menu.querySelector("summary").focus();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var menus = document.querySelectorAll("details[data-menu]");
    menus.forEach(function (menu) {
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape") closeMenu(menu, true);
      });
      menu.addEventListener("focusout", function (event) {
        if (event.relatedTarget && !menu.contains(event.relatedTarget)) closeMenu(menu, false);
      });
    });
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) {
        if (!menu.contains(event.target)) closeMenu(menu, false);
      });
    });
  });
})();

// « Copier l'adresse »: copies the named field's value and says so in a live region.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        var status = document.getElementById(button.getAttribute("aria-describedby"));
        function done(message) { if (status) status.textContent = message; }
        field.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(
            function () { done("Adresse copiée."); },
            function () { done("Copie impossible : sélectionnez l'adresse et copiez-la."); }
          );
        } else {
          done(document.execCommand && document.execCommand("copy") ? "Adresse copiée." : "Sélectionnez l'adresse et copiez-la.");
        }
      });
    });
  });
})();
