/* The colour theme, set before the first paint (loaded blocking in <head>, so a dark page never flashes light):
   the person's stored choice ("light" or "dark"), else the system's. theme-switch.js changes and stores it. */
(function () {
  "use strict";
  var stored = null;
  try {
    stored = window.localStorage.getItem("theme");
  } catch (error) {
    // Storage refused (privacy settings): follow the system.
  }
  var theme = stored === "light" || stored === "dark" ? stored
    : window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  document.documentElement.setAttribute("data-bs-theme", theme);
})();
