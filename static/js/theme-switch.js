/* The light/dark/auto switch in the footer: shows the stored choice, stores a new one ("auto" stores nothing), and
   keeps "auto" following the system as it changes. theme.js applies the choice before the first paint. */
(function () {
  "use strict";
  var KEY = "theme";
  // A browser without matchMedia, or whose MediaQueryList has only the old addListener (Safari before 14), still
  // gets the switch.
  var system = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : { matches: false };

  function storedChoice() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : "auto";
    } catch (error) {
      return "auto";
    }
  }

  function apply(choice) {
    var theme = choice === "auto" ? (system.matches ? "dark" : "light") : choice;
    document.documentElement.setAttribute("data-bs-theme", theme);
  }

  function showChoice(switcher, choice) {
    var input = switcher.querySelector('input[name="theme"][value="' + choice + '"]');
    if (input) {
      input.checked = true;
    }
  }

  function followSystem() {
    if (storedChoice() === "auto") {
      apply("auto");
    }
  }
  if (system.addEventListener) {
    system.addEventListener("change", followSystem);
  } else if (system.addListener) {
    system.addListener(followSystem);
  }

  var switcher = document.querySelector(".theme-switch");
  // Another tab changed the theme: follow it here too.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY || event.key === null) {
      apply(storedChoice());
      if (switcher) {
        showChoice(switcher, storedChoice());
      }
    }
  });
  if (!switcher) {
    return;
  }
  showChoice(switcher, storedChoice());
  switcher.addEventListener("change", function (event) {
    var choice = event.target.value;
    try {
      if (choice === "auto") {
        window.localStorage.removeItem(KEY);
      } else {
        window.localStorage.setItem(KEY, choice);
      }
    } catch (error) {
      // Not remembered, but still applied to this page.
    }
    apply(choice);
  });
  switcher.hidden = false;
})();
