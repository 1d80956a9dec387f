// Junction portal: small progressive enhancements. Every page works without this script;
// it only adds conveniences (a copy button for secrets shown once, live run status).
"use strict";

(function () {
  // Copy buttons: <button data-copy="ID" data-copy-status="ID" hidden>. They are hidden in
  // the HTML (without this script the text is selectable in its field) and shown here.
  function copyText(target) {
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) {
      return target.value;
    }
    return target.textContent || "";
  }

  // Without navigator.clipboard (plain http outside localhost), select and copy the old way.
  function fallbackCopy(target, text) {
    var field = target;
    var temporary = null;
    if (!(target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement)) {
      temporary = document.createElement("textarea");
      temporary.value = text;
      temporary.setAttribute("readonly", "");
      temporary.className = "visually-hidden";
      document.body.appendChild(temporary);
      field = temporary;
    }
    field.focus();
    field.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (e) {
      done = false;
    }
    if (temporary) {
      temporary.remove();
    }
    return done;
  }

  function setUpCopyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) {
        return;
      }
      var status = document.getElementById(button.getAttribute("data-copy-status") || "");
      function say(text) {
        if (status) {
          // Clear first so the same words are announced again on a second press.
          status.textContent = "";
          window.setTimeout(function () { status.textContent = text; }, 50);
        }
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = copyText(target);
        var failed = "Could not copy: select the text and press Ctrl+C (Cmd+C on a Mac).";
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () { say("Copied"); },
            function () { say(fallbackCopy(target, text) ? "Copied" : failed); }
          );
        } else {
          say(fallbackCopy(target, text) ? "Copied" : failed);
        }
      });
    });
  }

  // Picking a number in a "custom seconds" field picks "Custom" in its select.
  function setUpCustomCadence() {
    document.querySelectorAll("input[data-custom-for]").forEach(function (input) {
      var select = document.getElementById(input.getAttribute("data-custom-for"));
      if (!select) {
        return;
      }
      input.addEventListener("input", function () {
        if (input.value !== "") {
          select.value = "custom";
        }
      });
    });
  }

  // Live status on a connection's page: while a sync is queued or running, poll the
  // status endpoint every 2 s and update the status, records and last-run cells; stop when
  // everything is idle (or after 10 minutes).
  var POLL_MS = 2000;
  var GIVE_UP_MS = 10 * 60 * 1000;

  function setUpLiveStatus() {
    var table = document.querySelector("[data-status-url]");
    if (!table || !window.fetch) {
      return;
    }
    var url = table.getAttribute("data-status-url");
    var region = document.getElementById("live-status");
    var started = Date.now();
    var polling = table.getAttribute("data-live") === "true";

    function say(text) {
      if (region && region.textContent !== text) {
        region.textContent = text;
      }
    }

    function setBadge(cell, label, tone) {
      var badge = cell.querySelector(".badge");
      if (!badge) {
        badge = document.createElement("span");
        cell.textContent = "";
        cell.appendChild(badge);
      }
      badge.className = "badge badge-" + tone;
      badge.textContent = label;
    }

    function setLastRun(cell, run) {
      cell.textContent = "";
      if (!run) {
        cell.textContent = "Never";
        return;
      }
      if (run.iso && run.text) {
        var time = document.createElement("time");
        time.setAttribute("datetime", run.iso);
        time.textContent = run.text;
        cell.appendChild(time);
        cell.appendChild(document.createTextNode(": "));
      }
      cell.appendChild(document.createTextNode(run.status + ", " + records(run.records)));
    }

    function records(n) {
      return n + (n === 1 ? " record" : " records");
    }

    function update(data) {
      var total = 0;
      (data.resources || []).forEach(function (r) {
        total += r.records;
        var status = document.getElementById("status-" + r.resource);
        if (status) {
          setBadge(status, r.status, r.tone);
        }
        var records = document.getElementById("records-" + r.resource);
        if (records) {
          records.textContent = String(r.records);
        }
        var lastRun = document.getElementById("lastrun-" + r.resource);
        if (lastRun) {
          setLastRun(lastRun, r.lastRun);
        }
        var error = document.getElementById("error-" + r.resource);
        if (error) {
          error.textContent = "";
          if (r.lastError) {
            var span = document.createElement("span");
            span.className = "error-text";
            span.textContent = r.lastError;
            error.appendChild(span);
          } else {
            error.textContent = "None";
          }
        }
      });
      var totalCell = document.getElementById("records-total");
      if (totalCell) {
        totalCell.textContent = String(total);
      }
    }

    // While syncing, only statuses (announced when one changes); at the end, the counts.
    function summary(data, withRecords) {
      return (data.resources || []).map(function (r) {
        return r.resource + ": " + r.status + (withRecords ? ", " + records(r.records) : "");
      }).join("; ");
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          update(data);
          if (data.busy && Date.now() - started < GIVE_UP_MS) {
            say("Syncing. " + summary(data, false) + ".");
            window.setTimeout(poll, POLL_MS);
          } else {
            say("Sync finished. " + summary(data, true) + ". Reload the page to see the new runs.");
          }
        })
        .catch(function () {
          say("Live status stopped; reload the page to see the latest state.");
        });
    }

    if (polling) {
      say("Syncing. This updates every 2 seconds.");
      window.setTimeout(poll, POLL_MS);
    }
  }

  function start() {
    setUpCopyButtons();
    setUpCustomCadence();
    setUpLiveStatus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
