// sagestep UI: live updates by polling JSON, actions by POST with the page's CSRF token.
// Plain script, no framework: text from the server is written with textContent, and HTML
// fragments come only from the server's escaping renderer (pages.py).
"use strict";
(function () {
  const body = document.body;
  const prefix = body.dataset.prefix || "";
  const token = document.querySelector("meta[name=csrf-token]").content;
  const STATUS = {
    PENDING: "○ pending", RUNNING: "▶ running", RETRYING: "↻ retrying",
    WAITING_FOR_APPROVAL: "‖ waiting for approval", WAITING_FOR_CAPACITY: "⧗ waiting for capacity",
    WAITING_FOR_ENDPOINT: "⧗ waiting for the endpoint", SUCCEEDED: "✓ succeeded", FAILED: "✗ failed",
    ABORTED: "■ stopped", SKIPPED: "– skipped",
  };

  async function getJSON(url) {
    const r = await fetch(prefix + url, { headers: { Accept: "application/json" } });
    const data = await r.json();
    if (!r.ok) throw new Error(data.error || r.statusText);
    return data;
  }
  async function post(url, data) {
    const r = await fetch(prefix + url, {
      method: "POST", body: JSON.stringify(data || {}),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
    });
    const out = await r.json();
    if (!r.ok) throw new Error(out.error || r.statusText);
    return out;
  }
  function rowsFrom(html) { // server-escaped <tr> fragments into nodes
    const t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  }
  function flash(text, bad) {
    let el = document.getElementById("flash");
    if (!el) {
      el = document.createElement("p");
      el.id = "flash";
      el.setAttribute("role", "status");
      document.querySelector("main h1").after(el);
    }
    el.className = bad ? "error" : "ok";
    el.textContent = text;
  }

  // A confirmation dialog (native <dialog>): resolves to the comment, or null if cancelled.
  function confirmAction(question, withComment) {
    const dlg = document.getElementById("confirm");
    document.getElementById("confirm-title").textContent = question;
    document.getElementById("confirm-comment-label").hidden = !withComment;
    document.getElementById("confirm-comment").value = "";
    return new Promise((resolve) => {
      dlg.addEventListener("close", () => {
        resolve(dlg.returnValue === "ok" ? document.getElementById("confirm-comment").value : null);
      }, { once: true });
      dlg.showModal();
      (withComment ? document.getElementById("confirm-comment") : document.getElementById("confirm-ok")).focus();
    });
  }

  // ---- runs list -------------------------------------------------------------------------
  function runsPage() {
    const tbody = document.querySelector("#runs tbody");
    const note = document.getElementById("live-note");
    async function refresh() {
      try {
        const data = await getJSON("/api/runs" + location.search);
        tbody.replaceChildren(rowsFrom(data.rows.join("")));
        note.textContent = "Updated " + new Date().toLocaleTimeString();
      } catch (err) { note.textContent = "Update failed: " + err.message; }
    }
    setInterval(refresh, 2000);
    const form = document.getElementById("start-form");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const pipeline = f.get("pipeline");
      if (await confirmAction("Start a run of " + pipeline + "?", false) === null) return;
      try {
        const out = await post("/api/runs", {
          pipeline, dataset_date: f.get("dataset_date"), params: f.get("params"),
        });
        location.href = prefix + "/runs/" + encodeURIComponent(out.run);
      } catch (err) { flash(err.message, true); }
    });
  }

  // ---- one run ---------------------------------------------------------------------------
  function runPage() {
    const run = decodeURIComponent(location.pathname.split("/runs/")[1]);
    const api = "/api/runs/" + encodeURIComponent(run);
    let lastEvent = 0;
    let selected = null;
    let done = false;
    document.querySelectorAll("#events tbody tr").forEach((tr) => {
      lastEvent = Math.max(lastEvent, parseInt(tr.firstChild.textContent, 10) || 0);
    });

    function paint(stages) {
      for (const s of stages) {
        const label = STATUS[s.status] + (s.failed_attempts && s.status !== "SUCCEEDED" ? " (" + s.failed_attempts + " failed)" : "");
        const node = document.querySelector('.graph .node[data-stage="' + CSS.escape(s.stage) + '"]');
        if (node) {
          node.setAttribute("class", "node st-" + s.status + (s.stage === selected ? " selected" : ""));
          node.querySelector(".state").textContent = label;
          node.setAttribute("aria-label", s.stage.replace(/_/g, " ") + ": " + label);
        }
        const row = document.querySelector('#stages tr[data-stage="' + CSS.escape(s.stage) + '"]');
        if (row) {
          row.children[1].className = "st-" + s.status;
          row.children[1].textContent = label;
          row.children[2].textContent = s.started && s.ended ? (s.ended - s.started).toFixed(1) + "s" : "";
          row.children[3].textContent = s.jobs.join(", ");
          row.children[4].textContent = s.failed_attempts;
        }
      }
    }
    async function poll() {
      try {
        const v = await getJSON(api + "/view?after=" + lastEvent);
        paint(v.stages);
        document.getElementById("run-status").replaceChildren(rowsFrom(v.status_html));
        document.getElementById("run-duration").textContent = v.duration;
        document.getElementById("failure").replaceChildren(rowsFrom(v.failure_html));
        document.getElementById("waiting").hidden = !v.waiting_approval;
        for (const b of document.querySelectorAll("[data-action=approve],[data-action=reject]")) b.hidden = !v.waiting_approval;
        const status = v.info.status;
        document.querySelector("[data-action=stop]").hidden = status !== "RUNNING";
        document.querySelector("[data-action=redrive]").hidden = !["FAILED", "TIMED_OUT", "ABORTED"].includes(status);
        if (v.event_rows.length) {
          document.querySelector("#events tbody").append(rowsFrom(v.event_rows.join("")));
          lastEvent = v.last_event;
          filterEvents();
        }
        done = !["RUNNING", "PENDING_REDRIVE"].includes(status);
        body.dataset.runStatus = status;
      } catch (err) { flash("Update failed: " + err.message, true); }
      setTimeout(poll, done ? 5000 : 1000);
    }
    const filterBox = document.getElementById("event-filter");
    function filterEvents() {
      const words = filterBox.value.trim().toLowerCase();
      document.querySelectorAll("#events tbody tr").forEach((tr) => {
        tr.hidden = words !== "" && !tr.textContent.toLowerCase().includes(words);
      });
    }
    filterBox.addEventListener("input", filterEvents);
    poll();

    function pre(value, cut) {
      const el = document.createElement("pre");
      el.className = "json";
      el.textContent = cut ? value + "\n… (cut: larger than 256 KiB; use Export JSON)" : JSON.stringify(value, null, 2);
      return el;
    }
    function section(title, open) {
      const d = document.createElement("details");
      if (open) d.open = true;
      const s = document.createElement("summary");
      s.textContent = title;
      d.append(s);
      return d;
    }
    async function openStage(stage) {
      selected = stage;
      document.querySelectorAll(".graph .node").forEach((n) => n.classList.toggle("selected", n.dataset.stage === stage));
      const panel = document.getElementById("panel");
      panel.replaceChildren();
      const h = document.createElement("h2");
      h.textContent = stage.replace(/_/g, " ");
      panel.append(h);
      let d;
      try { d = await getJSON(api + "/stages/" + encodeURIComponent(stage)); } catch (err) {
        const p = document.createElement("p"); p.className = "error"; p.textContent = err.message; panel.append(p); return;
      }
      if (d.gate) {
        const g = document.createElement("p");
        g.className = "gate " + (d.gate.passed ? "pass" : "fail");
        g.textContent = (d.gate.passed ? "✓ " : "✗ ") + d.gate.metric + " = " + d.gate.value + " vs threshold " + d.gate.threshold + " (" + d.gate.comparison + ")";
        panel.append(g);
      }
      for (const job of d.jobs) {
        const box = section("Job " + job, true);
        box.className = "job";
        if (d.job_kind) {
          const a = document.createElement("a");
          a.href = prefix + "/api/jobs/" + encodeURIComponent(stage) + "/" + encodeURIComponent(job);
          a.textContent = "description (JSON)";
          a.target = "_blank";
          box.append(a);
          if (d.console[job]) {
            const c = document.createElement("a");
            c.href = d.console[job];
            c.textContent = " · AWS console";
            c.target = "_blank";
            c.rel = "noopener";
            box.append(c);
          }
          const m = document.createElement("div");
          m.className = "metrics";
          box.append(m);
          getJSON("/api/jobs/" + encodeURIComponent(stage) + "/" + encodeURIComponent(job)).then((j) => {
            const list = j.FinalMetricDataList || [];
            m.textContent = list.length ? "Metrics: " + list.map((x) => x.MetricName + " = " + x.Value).join(", ") : "";
            if (j.FailureReason) { const f = document.createElement("p"); f.className = "error"; f.textContent = j.FailureReason; box.append(f); }
          }).catch(() => {});
          box.append(logView(job, d.running));
        }
        panel.append(box);
      }
      if (d.attempts.length) {
        const box = section("Failed attempts (" + d.attempts.length + ")", true);
        const ol = document.createElement("ol");
        for (const a of d.attempts) {
          const li = document.createElement("li");
          li.textContent = a.at + " " + a.error + ": " + a.cause;
          ol.append(li);
        }
        box.append(ol);
        panel.append(box);
      }
      for (const [name, key] of [["Input", "input"], ["Output", "output"]]) {
        const box = section(name + " JSON", false);
        box.addEventListener("toggle", () => { if (box.open && box.children.length === 1) box.append(pre(d[key], d[key + "_cut"])); });
        panel.append(box);
      }
    }
    function logView(job, running) {
      const wrap = document.createElement("div");
      wrap.className = "logs";
      const head = document.createElement("p");
      const out = document.createElement("pre");
      out.className = "log";
      out.setAttribute("tabindex", "0");
      out.setAttribute("aria-label", "log of " + job);
      const all = document.createElement("button");
      all.textContent = "Load full log";
      let full = false;
      async function load() {
        try {
          const l = await getJSON("/api/logs/" + encodeURIComponent(job) + "?tail=" + (full ? "all" : "200"));
          head.textContent = full ? "Full log (" + l.total + " lines)" : "Last " + l.lines.length + " of " + l.total + " lines";
          out.textContent = l.lines.join("\n");
          all.hidden = full || l.total <= l.lines.length;
        } catch (err) { head.textContent = "Logs: " + err.message; }
        if (running && !done && document.body.contains(out)) setTimeout(load, 2000);
      }
      all.addEventListener("click", () => { full = true; load(); });
      wrap.append(head, out, all);
      load();
      return wrap;
    }
    document.querySelectorAll(".graph .node").forEach((node) => {
      node.addEventListener("click", () => openStage(node.dataset.stage));
      node.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); openStage(node.dataset.stage); }
      });
    });
    document.querySelectorAll("#stages tbody tr").forEach((tr) => {
      tr.tabIndex = 0;
      tr.addEventListener("click", () => openStage(tr.dataset.stage));
      tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") openStage(tr.dataset.stage); });
    });
    document.querySelectorAll("[data-action]").forEach((b) => {
      b.addEventListener("click", async () => {
        const comment = await confirmAction(b.dataset.confirm, !!b.dataset.comment);
        if (comment === null) return;
        try {
          await post(api + "/" + b.dataset.action, { comment });
          flash(b.dataset.action + ": done");
          done = false;
        } catch (err) { flash(err.message, true); }
      });
    });
  }

  // ---- models ----------------------------------------------------------------------------
  function modelActions() {
    document.querySelectorAll("[data-model-action]").forEach((b) => {
      b.addEventListener("click", async () => {
        const comment = await confirmAction(b.dataset.confirm, false);
        if (comment === null) return;
        try {
          const out = await post("/api/models/status", { arn: b.dataset.arn, status: b.dataset.modelAction });
          const holder = b.closest("tr") || document;
          holder.querySelector(".model-status").textContent = (out.status === "Approved" ? "✓ " : "✗ ") + out.status;
          flash("model package " + out.status);
          b.parentElement.querySelectorAll("button").forEach((x) => { x.hidden = x.dataset.modelAction === out.status; });
        } catch (err) { flash(err.message, true); }
      });
    });
  }

  function endpointPage() {
    const form = document.getElementById("invoke");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const out = document.getElementById("invoke-out");
      try {
        const r = await post("/api/endpoints/" + encodeURIComponent(form.dataset.endpoint) + "/invoke",
          { body: f.get("body"), content_type: f.get("content_type") });
        out.textContent = r.body;
      } catch (err) { out.textContent = "error: " + err.message; }
    });
  }

  const page = body.dataset.page;
  if (page === "runs") runsPage();
  if (page === "run") runPage();
  if (page === "models" || page === "model") modelActions();
  if (page === "endpoint") endpointPage();
})();
