// Connector Workbench dashboard behaviour that htmx attributes cannot express.
// Loaded as a file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  var MESSAGES = {
    403: "You are not allowed to do that.",
    404: "This draft no longer exists, or you cannot see it. Reload the page.",
    500: "Something went wrong on the server. Try again, or reload the page.",
  };

  function globalAlert() {
    return document.getElementById("global-alert");
  }

  function showAlert(text) {
    var box = globalAlert();
    if (!box) {
      return;
    }
    box.textContent = text;
    box.hidden = false;
    box.focus();
  }

  // Responses htmx does not swap (see the htmx-config meta tag) still tell the user why.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    showAlert(MESSAGES[status] || "The request failed (HTTP " + status + "). Reload the page.");
  });

  document.addEventListener("htmx:sendError", function () {
    showAlert("The server could not be reached. Check the connection, then try again.");
  });

  // A later request that works clears the alert.
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = globalAlert();
    if (box && !box.hidden && event.detail.successful) {
      box.hidden = true;
      box.textContent = "";
    }
  });
})();

// The draft page's poller (a chain of long polls, see draft_detail.html):
// - a failed poll asks again after a pause instead of ending the chain;
// - a poller replaced by another response (an action started a new run) drops its
//   request in flight, whose answer would describe the page before that response.
(function () {
  "use strict";

  var RETRY_AFTER_MS = 5000;

  document.addEventListener("htmx:afterRequest", function (event) {
    var poller = event.detail.elt;
    if (poller.id !== "draft-poller" || event.detail.successful) {
      return;
    }
    window.setTimeout(function () {
      if (document.body.contains(poller)) {
        htmx.trigger(poller, "retry");
      }
    }, RETRY_AFTER_MS);
  });

  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    if (event.target.id === "draft-poller") {
      htmx.trigger(event.target, "htmx:abort");
    }
  });
})();
