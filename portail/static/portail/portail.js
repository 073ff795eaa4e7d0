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
