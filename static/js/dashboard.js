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
// never replaced (saving it later says what changed meanwhile). Nor is a field whose own
// request is in flight (its Edit or Save): replacing it would leave that request's answer
// nowhere to go; the answer brings the field as it is now anyway.
(function () {
  "use strict";

  function busy(element) {
    return element.classList.contains("htmx-request") || element.querySelector(".htmx-request");
  }

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.classList || !target.classList.contains("field")) {
      return;
    }
    if (target.classList.contains("field--editing") || busy(target)) {
      event.detail.shouldSwap = false;
    }
  });
})();

// --- Forms: error summaries, focus after swaps, Escape in field editors, flash messages,
// sign-in progress ---
(function () {
  "use strict";

  var FLASH_SECONDS = 15;
  // Events by which a person (not a poll) starts an htmx request.
  var PERSON_EVENTS = ["click", "submit", "change", "keyup", "keydown", "input", "search"];

  // A refused form's error summary takes focus when it appears: on a page load (the create
  // form) and in a swapped field editor.
  function focusSummary(root) {
    var summary = root.matches && root.matches(".error-summary") ? root : null;
    summary = summary || (root.querySelector && root.querySelector(".error-summary"));
    if (summary) {
      window.setTimeout(function () {
        summary.focus();
      }, 0);
    }
  }

  // The summary's links move focus into their field (a fragment link only scrolls to an
  // element in some browsers).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) {
      return;
    }
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (input) {
      event.preventDefault();
      input.focus();
      input.scrollIntoView({ block: "center" });
    }
  });

  // Focus after a swap: htmx's own autofocus and same-id rules apply first; when the focused
  // element is gone all the same, focus goes to the element that now has its id, or, when
  // it was inside a report (a run's Cancel button, gone when the run ends), to the report's
  // heading.
  var lost = null;

  function remember() {
    var active = document.activeElement;
    if (!active || active === document.body) {
      return;
    }
    var report = active.closest(".report");
    var heading = report && report.querySelector("h2[id], h3[id]");
    lost = { element: active, id: active.id, heading: heading ? heading.id : "" };
  }

  function restore() {
    var was = lost;
    lost = null;
    if (!was || (document.activeElement && document.activeElement !== document.body)) {
      return;
    }
    if (document.body.contains(was.element)) {
      return;
    }
    var target = (was.id && document.getElementById(was.id)) || null;
    if (!target && was.heading) {
      target = document.getElementById(was.heading);
      if (target && !target.hasAttribute("tabindex")) {
        target.setAttribute("tabindex", "-1");
      }
    }
    if (target) {
      target.focus();
    }
  }

  document.addEventListener("htmx:beforeSwap", remember);
  document.addEventListener("htmx:oobBeforeSwap", remember);
  document.addEventListener("htmx:afterSettle", function () {
    window.setTimeout(restore, 0);
  });

  document.addEventListener("htmx:load", function (event) {
    focusSummary(event.detail.elt);
  });

  // htmx readies swapped-in forms when they settle, a moment after they appear (and after
  // focus has moved to them): a form submitted in that moment goes through htmx all the
  // same instead of loading a whole page.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var data = form["htmx-internal-data"];
      if (!window.htmx || !form.matches("[hx-get], [hx-post]") || (data && data.initHash)) {
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      htmx.process(form);
      form.requestSubmit(event.submitter && event.submitter.form === form ? event.submitter : null);
    },
    true
  );

  // Escape in an open field editor is its Cancel; focus then goes back to the field's Edit
  // button (the answer autofocuses it).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) {
      return;
    }
    var field = event.target.closest && event.target.closest(".field--editing");
    var cancel = field && field.querySelector("form.field-cancel-form");
    if (cancel) {
      event.preventDefault();
      // Straight through htmx: the editor may have been swapped in a moment ago.
      htmx.ajax("GET", cancel.getAttribute("hx-get"), {
        source: cancel,
        target: "#" + field.id,
        swap: "outerHTML",
      });
    }
  });

  // Flash messages (Django messages, shown once after a redirect) can be dismissed, and go
  // away at the person's next htmx action or after FLASH_SECONDS.
  function removeMessage(message) {
    var box = message.parentElement;
    message.remove();
    if (box && box.classList.contains("messages") && !box.querySelector(".alert")) {
      box.remove();
    }
  }

  function removeAllMessages() {
    document.querySelectorAll(".messages .alert").forEach(removeMessage);
  }

  function setUpMessages() {
    document.querySelectorAll(".messages .alert").forEach(function (message) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--small message-dismiss";
      button.textContent = "Dismiss";
      button.setAttribute("aria-label", "Dismiss: " + message.textContent.trim());
      button.addEventListener("click", function () {
        removeMessage(message);
        var main = document.getElementById("main");
        if (main) {
          main.focus();
        }
      });
      message.appendChild(button);
      window.setTimeout(function () {
        if (!message.contains(document.activeElement)) {
          removeMessage(message);
        }
      }, FLASH_SECONDS * 1000);
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (trigger && PERSON_EVENTS.indexOf(trigger.type) !== -1) {
      removeAllMessages();
    }
  });

  // Sign-in: the password hash takes a while on purpose; the button says so meanwhile.
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) {
      return;
    }
    var button = event.submitter || event.target.querySelector("[data-busy-text]");
    if (!button || !button.dataset || !button.dataset.busyText) {
      return;
    }
    button.dataset.idleText = button.textContent;
    button.textContent = button.dataset.busyText;
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
  });

  // Back to a page kept in the browser's cache: its buttons work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-busy-text][aria-busy='true']").forEach(function (button) {
      button.textContent = button.dataset.idleText || button.textContent;
      button.removeAttribute("aria-busy");
      button.disabled = false;
    });
  });

  function ready() {
    setUpMessages();
    focusSummary(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
// --- end of forms ---
