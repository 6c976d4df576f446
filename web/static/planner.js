import { api, stream, session, t, translate, languageSwitch, el, showError } from "./common.js";

const $ = (id) => document.getElementById(id);
const num = (id) => Number($(id).value);
const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
translate();
$("signout").addEventListener("click", () => { session.clear(); location.reload(); });
languageSwitch($("lang"));

$("loginform").addEventListener("submit", (e) => { e.preventDefault(); session.key = $("apikey").value.trim(); start(); });

// A small scenario to start from: one queue, eight agents, four half-hours.
const SCENARIO = {
  start: new Date().toISOString().slice(0, 10) + "T08:00:00Z", interval_minutes: 30, answer_within_seconds: 20, seed: 7,
  demand: [{ queue: "support-en", channel: "voice", aht_seconds: 180, contacts: [40, 60, 80, 60] }],
  agents: Array.from({ length: 8 }, (_, i) => ({ id: `sim-${i}`, name: `Agent ${i}`, time_zone: "UTC", languages: ["en"],
    skills: { support: 3 }, capacity: { voice: 1 } })),
};

function start() {
  $("login").hidden = true; $("work").hidden = false;
  if (!$("sim-json").value) $("sim-json").value = JSON.stringify(SCENARIO, null, 1);
  const today = new Date().toISOString().slice(0, 10);
  $("c-from").value = today; $("c-to").value = today;
}

$("staffing").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = {
    target: { service_level: num("s-sl"), answer_within_seconds: num("s-within") },
    shrinkage: num("s-shrink"),
    intervals: [{ queue: $("s-queue").value, start: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      minutes: num("s-minutes"), contacts: num("s-contacts"), aht_seconds: num("s-aht") }],
  };
  if (num("s-patience") > 0) body.patience_seconds = num("s-patience");
  try {
    const r = await api("POST", "/v1/staffing", body);
    const row = r.intervals[0];
    const line = (name, s) => s ? el("tr", {}, el("th", { scope: "row" }, name), el("td", { class: "num" }, String(s.agents)),
      el("td", { class: "num" }, String(s.scheduled_agents)), el("td", { class: "num" }, pct(s.performance.service_level)),
      el("td", { class: "num" }, `${s.performance.asa_seconds.toFixed(1)} s`), el("td", { class: "num" }, pct(s.performance.occupancy)),
      el("td", { class: "num" }, pct(s.performance.abandon_rate))) : null;
    $("s-result").tBodies[0].replaceChildren(...[line(t("erlang_c"), row.erlang_c), line(t("erlang_a"), row.erlang_a)].filter(Boolean));
    $("s-result").hidden = false;
    showError($("err"));
  } catch (err) { showError($("err"), err); }
});

// The coverage chart: required agents against scheduled ones per interval,
// in the queue's local time, drawn as SVG (no script or style from elsewhere).
$("coverage").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = encodeURIComponent($("c-queue").value);
  try {
    const r = await api("GET", `/v1/coverage?queue=${q}&from=${$("c-from").value}&to=${$("c-to").value}`);
    const rows = r.rows || r.intervals || [];
    const max = Math.max(1, ...rows.map((x) => Math.max(x.required ?? 0, x.scheduled ?? 0)));
    const w = Math.max(1, 720 / Math.max(1, rows.length)), h = 160, ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${w * rows.length} ${h + 20}`); svg.setAttribute("width", "100%"); svg.setAttribute("height", "200");
    rows.forEach((x, i) => {
      for (const [k, color, dx] of [["required", "#a45f00", 0], ["scheduled", "#0b5cad", w / 2]]) {
        const v = x[k] ?? 0, bh = (v / max) * h, rect = document.createElementNS(ns, "rect");
        rect.setAttribute("x", String(i * w + dx)); rect.setAttribute("y", String(h - bh));
        rect.setAttribute("width", String(Math.max(1, w / 2 - 1))); rect.setAttribute("height", String(bh));
        rect.setAttribute("fill", color);
        const title = document.createElementNS(ns, "title");
        title.textContent = `${x.start_local || x.start}: ${t(k === "required" ? "required" : "planned")} ${v}`;
        rect.append(title); svg.append(rect);
      }
    });
    $("c-chart").replaceChildren(svg, el("p", { class: "muted" }, `${rows.length} · ${t("required")} / ${t("planned")}`));
    showError($("err"));
  } catch (err) { showError($("err"), err); }
});

$("forecast").addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = $("f-file").files[0];
  if (!file) return;
  try {
    const r = await api("PUT", "/v1/forecast", await file.text(), "text/csv");
    $("f-result").replaceChildren(el("p", { role: "status" }, `${t("stored_rows")}: ${r.stored}`));
    showError($("err"));
  } catch (err) {
    // A bad row rejects the upload; the problem names each bad field as
    // rows[i].column, i counting data rows from 0: shown by line of the file
    // (the header is line 1).
    const rows = (err.problem?.errors || []).map((x) => {
      const m = /^rows\[(\d+)\](?:\.(\w+))?$/.exec(x.field);
      return el("tr", {}, el("td", {}, m ? String(Number(m[1]) + 2) : "—"), el("td", {}, m ? m[2] || "" : x.field),
        el("td", {}, x.reason));
    });
    $("f-result").replaceChildren(rows.length ? el("table", { id: "f-errors", class: "errors" },
      el("caption", {}, t("rejected_rows")),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("line")), el("th", { scope: "col" }, t("column")),
        el("th", { scope: "col" }, t("problem")))), el("tbody", {}, rows)) : "");
    showError($("err"), err);
  }
});

// An agent's next 7 days, in the agent's zone: the times come with the
// zone's offset and are shown as written (the wall clock where the agent is).
$("sched").addEventListener("submit", async (e) => {
  e.preventDefault();
  const id = $("sched-agent").value.trim();
  try {
    const v = await api("GET", `/v1/agents/${encodeURIComponent(id)}/schedule`);
    const rows = (v.next_7_days || []).map((x) => el("tr", {}, el("td", {}, x.start.slice(0, 10)),
      el("td", {}, x.start.slice(11, 16)), el("td", {}, x.end.slice(11, 16)), el("td", {}, x.activity)));
    $("sched-table").tBodies[0].replaceChildren(...rows);
    $("sched-table").hidden = false;
    const off = v.next_7_days?.[0]?.start.slice(19) || "";
    $("sched-state").textContent = `${v.schedule?.time_zone || ""} ${off}`.trim();
    showError($("err"));
  } catch (err) { showError($("err"), err); }
});

// The simulation runs as a job: its progress comes over the job's event
// stream, then its report is drawn (service level per interval and queue).
let simStream = null;
$("sim").addEventListener("submit", async (e) => {
  e.preventDefault();
  let scenario;
  try { scenario = JSON.parse($("sim-json").value); } catch (err) { showError($("err"), err); return; }
  try {
    const job = await api("POST", "/v1/simulations", scenario);
    $("sim-progress").hidden = false; $("sim-progress").value = 0; $("sim-state").textContent = t("progress");
    simStream?.stop();
    simStream = stream(`/v1/jobs/${encodeURIComponent(job.id)}/events`, async (type, data) => {
      if (type === "progress") { $("sim-progress").value = data.progress ?? 0; return; }
      simStream.stop();
      $("sim-state").textContent = type;
      if (type === "done") drawSim((await api("GET", `/v1/jobs/${encodeURIComponent(job.id)}`)).result);
    });
    showError($("err"));
  } catch (err) { showError($("err"), err); }
});

function drawSim(rep) {
  const rows = rep?.intervals || [];
  $("sim-progress").value = 1;
  const ns = "http://www.w3.org/2000/svg", h = 120, w = Math.max(4, 720 / Math.max(1, rows.length));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${w * rows.length} ${h}`); svg.setAttribute("width", "100%"); svg.setAttribute("height", "140");
  rows.forEach((r, i) => {
    const rect = document.createElementNS(ns, "rect"), bh = r.service_level * h;
    rect.setAttribute("x", String(i * w)); rect.setAttribute("y", String(h - bh));
    rect.setAttribute("width", String(w - 1)); rect.setAttribute("height", String(bh)); rect.setAttribute("fill", "#0b5cad");
    const title = document.createElementNS(ns, "title");
    title.textContent = `${r.queue} ${r.start}: ${pct(r.service_level)}`;
    rect.append(title); svg.append(rect);
  });
  $("sim-chart").replaceChildren(svg);
  $("sim-totals").tBodies[0].replaceChildren(...(rep?.totals || []).map((r) => el("tr", {},
    el("td", {}, r.queue), el("td", { class: "num" }, String(r.offered)), el("td", { class: "num" }, pct(r.service_level)),
    el("td", { class: "num" }, `${r.asa_seconds.toFixed(1)} s`), el("td", { class: "num" }, pct(r.abandon_rate)))));
  $("sim-totals").hidden = false;
}

if (session.key) start();
