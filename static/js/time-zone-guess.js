// The sign-up form's time zone: the browser's own (an IANA name such as "Europe/Berlin"), put into the hidden field
// accounts.forms.TimeZoneGuessInput renders empty, so that the page stays the same for every visitor. Without
// JavaScript, or where the browser names no zone, the field stays empty and the account starts in UTC.
(function () {
  "use strict";
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    zone = "";
  }
  document.querySelectorAll("input[data-time-zone-guess]").forEach(function (input) {
    input.value = zone;
  });
})();
