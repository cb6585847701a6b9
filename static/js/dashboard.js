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

// The pollers of live pages (chains of long polls, see connectors/pages/live.py):
// - a failed poll asks again after a pause instead of ending the chain;
// - a poller replaced by another response (the person's own change) has its answer in
//   flight ignored: it may describe the page before that response. (Aborting the request
//   instead would log an error in the console.)
(function () {
  "use strict";

  var RETRY_AFTER_MS = 5000;

  document.addEventListener("htmx:afterRequest", function (event) {
    var poller = event.detail.elt;
    if (!isPoller(poller) || event.detail.successful) {
      return;
    }
    window.setTimeout(function () {
      if (document.body.contains(poller)) {
        htmx.trigger(poller, "retry");
      }
    }, RETRY_AFTER_MS);
  });

  function isPoller(element) {
    return element.id === "draft-poller" || element.classList.contains("list-poller");
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var poller = event.detail.elt;
    if (isPoller(poller) && !document.body.contains(poller)) {
      event.detail.shouldSwap = false;
    }
  });

  // A change moved the draft's version: the forms that show nothing that changed move
  // with it (a live change leaves the open field editors at theirs).
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var sync = event.detail.target;
    if (!sync || sync.id !== "version-sync" || !sync.dataset.old) {
      return;
    }
    var selector = "input.draft-version[value='" + sync.dataset.old + "']";
    if (sync.dataset.live === "true") {
      selector += ":not(.editor-version)";
    }
    document.querySelectorAll(selector).forEach(function (input) {
      input.value = sync.dataset.new;
      input.setAttribute("value", sync.dataset.new);
    });
  });
})();

// Live answers (connectors.pages.live) bring the draft's regions out of band. A field
// editor the person opened after the poll was sent stays as it is: what they type is
// never replaced (saving it later says what changed meanwhile).
(function () {
  "use strict";

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("field--editing")) {
      event.detail.shouldSwap = false;
    }
  });
})();
