// Mes réservations without page reloads. The cells and the basket's buttons are plain form
// buttons that post to the portal (that is how the page works without JavaScript); here their
// clicks call the booking API (/api/v1/basket/…) instead, then the grid and the basket are redrawn
// from the page itself, so that every state and label stays computed on the server.
// Anything unexpected (session expired, network down) falls back to the plain form.
(function () {
  "use strict";

  var API = "/api/v1/basket/";
  var busy = false;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function callApi(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  // Replace every [data-refresh] region (grid, basket, basket button) with the server's fresh copy.
  function refresh() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("refresh " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-refresh]").forEach(function (region) {
          var replacement = fresh.getElementById(region.id);
          if (replacement) region.replaceWith(document.importNode(replacement, true));
        });
      })
      .catch(function (error) {
        // The change is made; only the redraw failed: show the page as the server has it.
        window.location.reload();
        throw error;
      });
  }

  function announce(text) {
    var status = document.getElementById("annonce");
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function showError(text) {
    var box = document.getElementById("erreur-grille");
    var previous = document.getElementById("message-grille"); // the message of a change made without JavaScript
    if (previous) previous.remove();
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  function focusAfter(id, fallbackId) {
    var target = (id && document.getElementById(id)) || document.getElementById(fallbackId);
    if (target) target.focus();
    return target;
  }

  function plainSubmit(button) {
    busy = false;
    if (button.form) button.form.requestSubmit(button);
  }

  // book:<child>:<activity>:<date>, cancel:…, or remove:<item>: the same values the forms post.
  function change(button) {
    var parts = button.value.split(":");
    var inGrid = button.classList.contains("slot");
    var call = parts[0] === "remove"
      ? callApi("DELETE", API + "items/" + encodeURIComponent(parts[1]) + "/")
      : callApi("POST", API + "items/", {
          child_id: Number(parts[1]), activity_id: Number(parts[2]), date: parts[3], action: parts[0],
        });
    button.setAttribute("aria-busy", "true");
    return call.then(function (response) {
      if (response.ok) {
        showError("");
        return refresh().then(function () {
          var target = focusAfter(inGrid ? button.id : null, "panier-titre");
          // Name the child, the service, the day and the state (RGAA 11.9): the cell's own name, or
          // the removed line's, whose button said « Retirer du panier : <child>, <service>, <day> : <change> ».
          announce(inGrid && target
            ? target.getAttribute("aria-label")
            : "Retiré du panier : " + (button.getAttribute("aria-label") || "").replace(/^Retirer du panier : /, "") + ".");
        });
      }
      if (response.status === 400) {
        return response.json().then(function (data) {
          showError(data.detail || "Ce changement est impossible.");
          return refresh().then(function () {
            // The refusal belongs to the cell: it is read with it when focus comes back (RGAA 11.10).
            var refused = document.getElementById(button.id);
            if (refused) refused.setAttribute("aria-describedby", "erreur-grille");
            focusAfter(button.id, "erreur-grille");
          });
        });
      }
      plainSubmit(button);
    }, function () { plainSubmit(button); }); // the request never reached the server
  }

  function clear(button) {
    return callApi("POST", API + "clear/").then(function (response) {
      if (!response.ok) return plainSubmit(button);
      showError("");
      return refresh().then(function () {
        focusAfter(null, "panier-titre");
        announce("Le panier a été vidé.");
      });
    }, function () { plainSubmit(button); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !document.getElementById("grille")) return;
    if (button.classList.contains("slot") && button.getAttribute("aria-disabled") === "true") {
      event.preventDefault();
      announce(button.getAttribute("aria-label") + ". " + (button.title || ""));
      return;
    }
    var isChange = button.name === "change" && button.form;
    var isClear = button.hasAttribute("data-clear");
    if (!isChange && !isClear) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    (isChange ? change(button) : clear(button))
      .catch(function () { /* refresh() reloads the page */ })
      .then(function () { busy = false; });
  });

  // After « Valider le panier » or a period booking the page opens on its report (#bilan, which the
  // link's fragment focuses): its summary is also put in the live region, empty until now (RGAA 7.5).
  document.addEventListener("DOMContentLoaded", function () {
    var report = document.getElementById("bilan");
    if (!report) return;
    if (document.activeElement !== report) report.focus();
    var summary = document.getElementById("bilan-resume");
    var status = document.getElementById("annonce");
    if (summary && status) window.setTimeout(function () { status.textContent = summary.textContent; }, 300);
  });

  // « Valider le panier » stays a plain form (its report is a page); only one submit at a time.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
})();
