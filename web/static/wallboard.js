import { api, session, t, translate, languageSwitch, el, duration, showError } from "./common.js";

const $ = (id) => document.getElementById(id);
let timer = null, lastQueues = [], lastAgents = [];
translate();
$("signout").addEventListener("click", () => { session.clear(); location.reload(); });
languageSwitch($("lang"), () => draw(lastQueues, lastAgents));

$("loginform").addEventListener("submit", (e) => { e.preventDefault(); session.key = $("apikey").value.trim(); start(); });

function start() {
  $("login").hidden = true; $("board").hidden = false; $("people").hidden = false;
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, 3000);
}

async function refresh() {
  try {
    const [qs, ag] = await Promise.all([api("GET", "/v1/queues"), api("GET", "/v1/agents")]);
    lastQueues = qs.queues || qs; lastAgents = ag.agents || ag;
    const t0 = performance.now();
    draw(lastQueues, lastAgents);
    document.body.dataset.renderMs = String(performance.now() - t0);
    showError($("err"));
  } catch (e) {
    showError($("err"), e);
    if (e.status === 401 || e.status === 403) { clearInterval(timer); $("login").hidden = false; }
  }
}

// A queue's row is red when contacts wait with nobody available in an open
// queue or the oldest wait passed the first-response target, amber past
// half of it.
function level(q, ch) {
  const c = q.channels[ch], target = c.first_response_target_seconds;
  if (c.waiting > 0 && c.available_agents === 0 && q.open) return "over";
  if (target && c.waiting > 0 && c.oldest_wait_seconds > target) return "over";
  if (target && c.waiting > 0 && c.oldest_wait_seconds > target / 2) return "warn";
  return "";
}

// reason is an away reason in the page's language where it is a known one.
const SYSTEM = { "missed offers": "r_missed", disconnected: "r_disconnected" };
function reason(r) {
  const k = SYSTEM[r] || `r_${r}`;
  return t(k) === k ? r : t(k);
}

const RANK = { over: 0, warn: 1, "": 2 };

// draw shows a row per queue (its totals for today, coloured by its worst
// channel) and under it the channels in use (something waits, or an agent
// can take one now); queues in trouble first, then those with contacts
// waiting, then the rest by name.
function draw(queues, agents) {
  const view = queues.map((q) => {
    const chans = Object.keys(q.channels || {}).sort().filter((ch) => q.channels[ch].waiting > 0 || q.channels[ch].available_agents > 0);
    const levels = chans.map((ch) => level(q, ch));
    const worst = levels.reduce((a, b) => (RANK[b] < RANK[a] ? b : a), "");
    const waiting = chans.reduce((n, ch) => n + q.channels[ch].waiting, 0);
    const oldest = Math.max(0, ...chans.map((ch) => q.channels[ch].waiting ? q.channels[ch].oldest_wait_seconds : 0));
    return { q, chans, levels, worst, waiting, oldest };
  });
  view.sort((a, b) => RANK[a.worst] - RANK[b.worst] || (b.waiting > 0) - (a.waiting > 0) || a.q.id.localeCompare(b.q.id));
  const rows = [];
  for (const { q, chans, levels, worst, waiting, oldest } of view) {
    const sl = q.today?.service_level;
    rows.push(el("tr", { class: `queue ${worst}` },
      el("th", { scope: "row" }, q.id),
      el("td", {}, el("span", { class: `badge ${q.open ? "open" : "closed"}` }, t(q.open ? "open" : "closed"))),
      el("td", { class: "muted" }, chans.length ? "" : t("idle")),
      el("td", { class: "num" }, String(waiting)), el("td", { class: "num" }, waiting ? duration(oldest) : "—"),
      el("td", { class: "num" }, ""), el("td", { class: "num" }, String(q.eligible_agents)),
      el("td", { class: "num" }, sl === null || sl === undefined ? "—" : `${Math.round(sl * 100)}%`),
      el("td", { class: "num" }, String(q.today?.counts?.breached ?? 0)),
      el("td", { class: "num" }, String(q.today?.counts?.abandoned ?? 0))));
    chans.forEach((ch, i) => {
      const c = q.channels[ch];
      rows.push(el("tr", { class: levels[i] },
        el("td", { class: "muted" }, q.id), el("td", {}, ""),
        el("td", {}, ch), el("td", { class: "num" }, String(c.waiting)),
        el("td", { class: "num" }, c.waiting ? duration(c.oldest_wait_seconds) : "—"),
        el("td", { class: "num" }, String(c.available_agents)), el("td", {}, ""), el("td", {}, ""), el("td", {}, ""), el("td", {}, "")));
    });
  }
  $("queues").replaceChildren(...rows);
  const order = { available: 0, acw: 1, away: 2, offline: 3 };
  const people = [...agents].sort((a, b) => (order[a.state?.presence] ?? 9) - (order[b.state?.presence] ?? 9) || a.id.localeCompare(b.id));
  $("agents").replaceChildren(...people.map((a) => el("tr", {},
    el("td", {}, a.name || a.id),
    el("td", {}, t(a.state?.presence) + (a.state?.reason ? ` (${reason(a.state.reason)})` : "")),
    el("td", {}, String((a.state?.tasks || []).length)))));
  $("updated").textContent = `${t("updated")} ${new Date().toLocaleTimeString()}`;
}

if (session.key) start();
