// Progressive enhancement only: every feature works without this file.
// "Send support" toggles in place instead of reloading the page.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-support]") || !window.fetch) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    // Not `disabled`: a disabled button drops keyboard focus to the page.
    if (button.getAttribute("aria-busy") === "true") { return; }
    var hadFocus = document.activeElement === button;
    button.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      button.setAttribute("aria-pressed", data.supported ? "true" : "false");
      button.firstChild.textContent = data.supported ? "Supported" : "Send support";
      var count = button.querySelector(".support-count");
      count.textContent = " " + data.support_count;
      count.setAttribute("aria-label", data.support_count + " supporting");
    }).catch(function () {
      form.submit(); // fall back to the plain form post
    }).finally(function () {
      button.removeAttribute("aria-busy");
      if (hadFocus && document.activeElement !== button) { button.focus(); }
    });
  });
})();
