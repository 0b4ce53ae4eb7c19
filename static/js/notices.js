// A member's live notices: when the moderation team writes in a private
// conversation, say so at once and update the header badge. The event
// carries no message text. Without JavaScript the badge shows on the next page.
(function () {
  "use strict";
  if (!window.io) { return; }
  var region = document.querySelector("[data-live-notice]");
  var socket = window.io("/me", { transports: ["websocket", "polling"] });
  // A marker only (tests and styles may read it): the live notices are on.
  socket.on("connect", function () { document.documentElement.setAttribute("data-member-live", "on"); });
  socket.on("disconnect", function () { document.documentElement.removeAttribute("data-member-live"); });
  socket.on("conversation", function (data) {
    if (!data || typeof data.url !== "string" || data.url.charAt(0) !== "/") { return; }
    var badge = document.querySelector("[data-member-badge]");
    if (badge) {
      badge.hidden = false;
      var count = badge.querySelector("[data-badge-count]");
      if (count && typeof data.unread === "number") { count.textContent = String(data.unread); }
      var link = badge.querySelector("a");
      if (link) { link.setAttribute("href", "/conversations/"); }
    }
    if (!region) { return; }
    region.textContent = "";
    var p = document.createElement("p");
    p.className = "flash flash-info";
    p.appendChild(document.createTextNode((data.text || "The moderation team has written to you.") + " "));
    var a = document.createElement("a");
    a.href = data.url;
    a.textContent = "Read it";
    p.appendChild(a);
    region.appendChild(p);
  });
  // A reply, mention, quote or support (forum.notify): the count, and a line with a link.
  socket.on("notification", function (data) {
    if (!data || typeof data.url !== "string" || data.url.charAt(0) !== "/") { return; }
    var badge = document.querySelector("[data-notify-badge]");
    var count = document.querySelector("[data-notify-count]");
    if (badge && count && typeof data.unread === "number") {
      count.textContent = String(data.unread);
      badge.hidden = data.unread < 1;
    }
    if (!region) { return; }
    region.textContent = "";
    var p = document.createElement("p");
    p.className = "flash flash-info";
    p.appendChild(document.createTextNode((data.text || "Something new for you") + " "));
    var a = document.createElement("a");
    a.href = data.url;
    a.textContent = "See it";
    p.appendChild(a);
    region.appendChild(p);
  });
})();
