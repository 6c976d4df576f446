import { api, session, t, translate, languageSwitch, el, showError } from "./common.js";

const $ = (id) => document.getElementById(id);
const num = (id) => Number($(id).value);
const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
translate();
languageSwitch($("lang"));

$("loginform").addEventListener("submit", (e) => { e.preventDefault(); session.key = $("apikey").value.trim(); start(); });

function start() {
  $("login").hidden = true; $("work").hidden = false;
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
    $("f-result").textContent = JSON.stringify(r, null, 2);
    showError($("err"));
  } catch (err) {
    // Row errors come as a problem naming each field (row:column).
    $("f-result").textContent = (err.problem?.errors || []).map((x) => `${x.field}: ${x.reason}`).join("\n");
    showError($("err"), err);
  }
});

if (session.key) start();
