import { api, stream, session, t, lang, translate, languageSwitch, el, showError, APIError } from "./common.js";

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
  } catch (err) { $("s-result").hidden = true; showError($("err"), err); }
});

// The coverage chart of a queue and channel over whole days (from the
// first day's midnight to the last's end, here): the API draws it, in the
// queue's local time, with shrinkage and the intervals without a forecast.
$("coverage").addEventListener("submit", async (e) => {
  e.preventDefault();
  const day = (v, plus) => { const d = new Date(`${v}T00:00`); d.setDate(d.getDate() + plus); return d.toISOString(); };
  const q = new URLSearchParams({ queue: $("c-queue").value, channel: $("c-channel").value, format: "svg",
    from: day($("c-from").value, 0), to: day($("c-to").value, 1), shrinkage: $("c-shrink").value || "0" });
  $("c-chart").replaceChildren();
  try {
    const res = await fetch(`/v1/coverage?${q}`, { headers: { Authorization: `Bearer ${session.key}` } });
    const text = await res.text();
    if (!res.ok) { let p = null; try { p = JSON.parse(text); } catch { /* text */ } throw new APIError(res.status, p); }
    const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
    svg.setAttribute("role", "img");
    $("c-chart").replaceChildren(document.importNode(svg, true));
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
    // The day as the agent's calendar has it (weekday of the local date), and
    // an end on the next day marked so.
    const weekday = (d) => new Date(`${d}T12:00:00Z`).toLocaleDateString(lang(), { weekday: "short", timeZone: "UTC" });
    const rows = (v.next_7_days || []).map((x) => el("tr", {},
      el("td", {}, `${weekday(x.start.slice(0, 10))} ${x.start.slice(0, 10)}`),
      el("td", {}, x.start.slice(11, 16)),
      el("td", {}, x.end.slice(11, 16) + (x.end.slice(0, 10) !== x.start.slice(0, 10) ? ` (+1 ${t("day_after")})` : "")),
      el("td", {}, t("act_" + x.activity) === "act_" + x.activity ? x.activity : t("act_" + x.activity))));
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
  // A new run clears the last one's result.
  $("sim-chart").replaceChildren(); $("sim-totals").hidden = true; $("sim-state").textContent = "";
  try { scenario = JSON.parse($("sim-json").value); } catch (err) { showError($("err"), err); return; }
  try {
    const job = await api("POST", "/v1/simulations", scenario);
    $("sim-progress").hidden = false; $("sim-progress").value = 0; $("sim-state").textContent = t("progress");
    simStream?.stop();
    simStream = stream(`/v1/jobs/${encodeURIComponent(job.id)}/events`, async (type, data) => {
      if (type === "progress") { $("sim-progress").value = data.progress ?? 0; return; }
      simStream.stop();
      $("sim-state").textContent = t("job_" + type);
      if (type === "done") drawSim((await api("GET", `/v1/jobs/${encodeURIComponent(job.id)}`)).result);
    });
    showError($("err"));
  } catch (err) { showError($("err"), err); }
});

// drawSim draws service level per interval, a colour per queue (bars side
// by side in each interval, a legend, 0/50/100 % marks, first and last
// interval times), and the queues' totals.
const COLOURS = ["#0b5cad", "#a45f00", "#1b7f3b", "#7b3fa0", "#b3261e", "#00838f"];
function drawSim(rep) {
  const rows = rep?.intervals || [];
  $("sim-progress").value = 1;
  const queues = [...new Set(rows.map((r) => r.queue))];
  const starts = [...new Set(rows.map((r) => r.start))];
  const ns = "http://www.w3.org/2000/svg", h = 120, left = 34, slot = Math.max(6, 720 / Math.max(1, starts.length));
  const bar = Math.max(1, (slot - 2) / Math.max(1, queues.length));
  const svg = document.createElementNS(ns, "svg");
  const node = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    return n;
  };
  svg.setAttribute("viewBox", `0 0 ${left + slot * starts.length} ${h + 30}`); svg.setAttribute("width", "100%"); svg.setAttribute("height", "180");
  for (const p of [0, 0.5, 1]) {
    svg.append(node("line", { x1: left, x2: left + slot * starts.length, y1: h - p * h, y2: h - p * h, stroke: "#d5d9df" }));
    svg.append(node("text", { x: 0, y: h - p * h + 4, "font-size": 10 }, `${p * 100}%`));
  }
  rows.forEach((r) => {
    const i = starts.indexOf(r.start), j = queues.indexOf(r.queue), bh = r.service_level * h;
    const rect = node("rect", { x: left + i * slot + j * bar, y: h - bh, width: Math.max(1, bar - 0.5), height: bh, fill: COLOURS[j % COLOURS.length] });
    rect.append(node("title", {}, `${r.queue} ${r.start.slice(11, 16)}: ${pct(r.service_level)}`));
    svg.append(rect);
  });
  if (starts.length) {
    svg.append(node("text", { x: left, y: h + 14, "font-size": 10 }, starts[0].slice(11, 16)));
    svg.append(node("text", { x: left + slot * (starts.length - 1), y: h + 14, "font-size": 10 }, starts[starts.length - 1].slice(11, 16)));
  }
  const legend = el("p", { class: "legend" }, queues.map((q, j) =>
    el("span", {}, el("span", { class: "swatch", "data-colour": String(j % COLOURS.length) }), ` ${q} `)));
  $("sim-chart").replaceChildren(svg, legend);
  $("sim-totals").tBodies[0].replaceChildren(...(rep?.totals || []).map((r) => el("tr", {},
    el("td", {}, r.queue), el("td", { class: "num" }, String(r.offered)), el("td", { class: "num" }, pct(r.service_level)),
    el("td", { class: "num" }, `${r.asa_seconds.toFixed(1)} s`), el("td", { class: "num" }, pct(r.abandon_rate)))));
  $("sim-totals").hidden = false;
}

if (session.key) start();
