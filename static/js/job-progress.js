// Progress of a background job (templates/results/job.html): polls the job's JSON
// (data-status-url) every second until the job is done or failed, and updates the bar, the
// texts (already in the reader's language) and the download link. Without it the page is
// simply reloaded by hand.
(function () {
  "use strict";
  var PERIOD = 1000;
  var RUNNING = { queued: true, running: true };

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-job]");
    if (!box || !window.fetch || !RUNNING[box.getAttribute("data-status")]) { return; }
    var url = box.getAttribute("data-status-url");
    var bar = box.querySelector("[data-job-progress]");
    var label = box.querySelector("[data-job-label]");
    var count = box.querySelector("[data-job-count]");
    var download = box.querySelector("[data-job-download]");
    var error = box.querySelector("[data-job-error]");
    var pending = box.querySelector("[data-job-pending]");

    function show(state) {
      bar.max = state.total || 1;
      bar.value = state.done;
      bar.textContent = state.done + " / " + state.total;
      label.textContent = state.label;
      count.textContent = state.count;
      box.setAttribute("data-status", state.status);
      if (state.download_url) {
        download.querySelector("a").href = state.download_url;
        download.hidden = false;
      }
      if (state.error) {
        error.textContent = state.error;
        error.className = "flash flash-error";
        error.setAttribute("role", "alert");
        error.hidden = false;
      }
      if (pending) { pending.hidden = !RUNNING[state.status]; }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (state) {
          show(state);
          if (RUNNING[state.status]) { window.setTimeout(poll, PERIOD); }
        })
        .catch(function () { window.setTimeout(poll, PERIOD * 5); });
    }

    window.setTimeout(poll, PERIOD);
  });
})();
