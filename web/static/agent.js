import { api, stream, session, t, lang, translate, languageSwitch, el, duration, showError } from "./common.js";

const $ = (id) => document.getElementById(id);
const err = $("err");
let tasks = new Map();       // id -> task
let messages = new Map();    // id -> messages
let live = null, offersSeen = new Set(), flash = null;
// What the agent types (replies, dispositions, transfer queues) by the
// field's data-key, kept across redraws: events redraw the lists, and a
// redraw must not take the focus or the text from under the agent.
const drafts = new Map();
let focusNext = []; // data-keys to focus after the next redraw, the first found
const histories = new Map(); // task id -> the customer's last contacts, from its offer

translate();
let shown = { presence: "", reason: "", conn: "" }; // redrawn in another language
languageSwitch($("lang"), () => { showState(shown.presence, shown.reason); showConn(shown.conn); render(); });

function showConn(s) {
  shown.conn = s;
  $("conn").textContent = s === "connected" ? t("connected") : s === "reconnecting" ? t("reconnecting") : "";
}

// Reasons the service sets itself (the agent missed offers in a row, or
// the desktop was gone everywhere past the grace period).
const SYSTEM_REASONS = { "missed offers": "r_missed", disconnected: "r_disconnected" };

$("loginform").addEventListener("submit", async (e) => {
  e.preventDefault();
  session.key = $("apikey").value.trim();
  session.agent = $("agentid").value.trim();
  unlockAudio();
  start();
});
$("signout").addEventListener("click", () => { live?.stop(); session.clear(); location.reload(); });
$("presence").addEventListener("change", setPresence);
$("reason").addEventListener("change", () => { showReason(); if ($("reason").value !== "other") setPresence(); });
$("other-reason").addEventListener("change", setPresence);
$("sound").checked = localStorage.getItem("sb_sound") !== "off";
$("sound").addEventListener("change", () => localStorage.setItem("sb_sound", $("sound").checked ? "on" : "off"));

// showReason shows the away reasons while away, and the free text for "other".
function showReason() {
  const away = $("presence").value === "away";
  $("reason-box").hidden = !away;
  $("other-box").hidden = !away || $("reason").value !== "other";
}

async function setPresence() {
  showReason();
  const presence = $("presence").value;
  const body = { presence };
  if (presence === "away") {
    body.reason = $("reason").value === "other" ? $("other-reason").value.trim() || "other" : $("reason").value;
  }
  try { await api("PUT", `/v1/agents/${enc(session.agent)}/presence`, body); showError(err); }
  catch (e) { showError(err, e); }
}

// The sound of a new offer is made here (no file to fetch). Browsers allow
// audio only after the user did something on the page: the context is made
// at sign-in, or at the first key or click.
let audio = null;
function unlockAudio() {
  if (audio || !window.AudioContext) return;
  audio = new AudioContext();
}
document.addEventListener("pointerdown", unlockAudio, { once: true });
document.addEventListener("keydown", unlockAudio, { once: true });

function chime() {
  if (!$("sound").checked || !audio) return;
  const now = audio.currentTime;
  for (const [i, hz] of [880, 660].entries()) {
    const osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.2, now + i * 0.18);
    gain.gain.exponentialRampToValueAtTime(0.001, now + i * 0.18 + 0.16);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + i * 0.18); osc.stop(now + i * 0.18 + 0.17);
  }
  document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
}

const enc = encodeURIComponent;

async function start() {
  try {
    const a = await api("GET", `/v1/agents/${enc(session.agent)}`);
    showError(err);
    $("login").hidden = true; $("desk").hidden = false; $("signout").hidden = false;
    showState(a.state?.presence, a.state?.reason);
  } catch (e) {
    // A refused sign-in is not kept: a reload shows the empty form.
    if (e.status === 401 || e.status === 403 || e.status === 404) session.clear();
    showError(err, e); return;
  }
  live = stream(`/v1/agents/${enc(session.agent)}/stream`, onEvent, (s, e) => {
    showConn(s);
    if (e) showError(err, e);
  });
  setInterval(tick, 1000); // countdowns, without redrawing what the agent types
}

function showState(p, reason) {
  if (!p) return;
  shown.presence = p; shown.reason = reason || "";
  const known = [...$("reason").options].some((o) => o.value === reason && o.value !== "other");
  const label = known ? t("r_" + reason) : SYSTEM_REASONS[reason] ? t(SYSTEM_REASONS[reason]) : reason;
  $("state").textContent = (t(p) || p) + (p === "away" && reason ? ` · ${label}` : "");
  $("presence").value = ["available", "away", "offline"].includes(p) ? p : $("presence").value;
  if (p === "away" && reason && !SYSTEM_REASONS[reason] && document.activeElement?.id !== "other-reason") {
    if (known) $("reason").value = reason;
    else { $("reason").value = "other"; $("other-reason").value = reason; }
  }
  showReason();
}

async function onEvent(type, data) {
  if (type === "snapshot") {
    tasks = new Map((data.tasks || []).map((x) => [x.id, x]));
    showState(data.agent?.presence, data.agent?.reason);
    for (const x of tasks.values()) if (x.state !== "reserved") loadMessages(x.id);
    render(); return;
  }
  if (type === "agent.presence" || type === "presence") { showState(data.presence, data.reason); return; }
  const id = data.task_id;
  if (!id) return;
  if (type === "offer") { notifyOffer(data); histories.set(id, data.history || []); }
  try {
    const x = await api("GET", `/v1/tasks/${enc(id)}`);
    if (["completed", "canceled"].includes(x.state) || (x.agent && x.agent !== session.agent) ||
        (type === "offer.rescinded")) tasks.delete(id);
    else tasks.set(id, x);
    if (x.state === "assigned" || x.state === "wrapping") await loadMessages(id);
  } catch (e) {
    if (e.status === 403 || e.status === 404) tasks.delete(id); else showError(err, e);
  }
  render();
}

async function loadMessages(id) {
  try { const r = await api("GET", `/v1/tasks/${enc(id)}/messages`); messages.set(id, r.messages || []); }
  catch { /* a voice task has none */ }
}

// A new offer: a chime (unless turned off) and, for a background tab, the
// title flashing.
function notifyOffer(o) {
  if (offersSeen.has(o.offer_id)) return;
  offersSeen.add(o.offer_id);
  chime();
  const title = document.title;
  let n = 0;
  clearInterval(flash);
  flash = setInterval(() => {
    document.title = n++ % 2 ? title : `● ${t("offers")}`;
    if (n > 20 || document.hasFocus()) { clearInterval(flash); document.title = title; }
  }, 700);
}

// showNote says for a few seconds that something worked.
let noteTimer = null;
function showNote(text) {
  $("note").textContent = text; $("note").hidden = false;
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => { $("note").hidden = true; }, 5000);
}

async function act(fn) {
  try { await fn(); showError(err); } catch (e) { showError(err, e); }
}

function clockView(c) {
  const name = c.clock === "first_response" ? t("first_response") : t("next_reply");
  if (c.state === "met") return el("span", { class: "clock met" }, `${name}: ${t("met")}`);
  if (c.state !== "running") return el("span", { class: `clock ${c.state === "breached" ? "late" : ""}` }, `${name}: ${t("clock_" + c.state)}`);
  return el("span", { class: "clock", "data-due": c.due_at, "data-name": name });
}

// tick updates the countdowns in place.
function tick() {
  const now = Date.now();
  for (const e of document.querySelectorAll("[data-due]")) {
    const left = (Date.parse(e.dataset.due) - now) / 1000;
    e.classList.toggle("late", left < 0);
    e.textContent = left >= 0 ? `${e.dataset.name}: ${t("due")} ${duration(left)}` : `${e.dataset.name}: ${t("late")} ${duration(-left)}`;
  }
  for (const e of document.querySelectorAll("[data-until]")) {
    e.textContent = `${t(e.dataset.label)} ${duration((Date.parse(e.dataset.until) - now) / 1000)}${e.dataset.suffix ? " " + t(e.dataset.suffix) : ""}`;
  }
}

function customerName(x) { return x.customer?.name || x.customer?.identity || x.customer_id || "—"; }

// field is an input that keeps its text in drafts under key.
function field(tag, key, attrs) {
  const f = el(tag, { ...attrs, "data-key": key, oninput: () => drafts.set(key, f.value) });
  f.value = drafts.get(key) || "";
  return f;
}

function render() {
  // The focused control and its selection, found again after the redraw
  // by data-key; a new offer takes the focus when nothing has it.
  const a = document.activeElement;
  const key = a?.dataset?.key || "";
  const sel = a && "selectionStart" in a ? [a.selectionStart, a.selectionEnd] : null;
  draw();
  let target = key && document.querySelector(`[data-key="${CSS.escape(key)}"]`);
  for (const k of focusNext) target ||= document.querySelector(`[data-key="${CSS.escape(k)}"]`);
  if (!target && (!a || a === document.body)) target = document.querySelector(".offer button");
  focusNext = [];
  if (target && target !== document.activeElement) {
    target.focus();
    if (sel && target.dataset.key === key && "setSelectionRange" in target) {
      try { target.setSelectionRange(sel[0], sel[1]); } catch { /* not a text field */ }
    }
  }
}

function draw() {
  const offers = [...tasks.values()].filter((x) => x.state === "reserved");
  const held = [...tasks.values()].filter((x) => x.state === "assigned" || x.state === "wrapping");
  const ob = $("offers"); ob.replaceChildren();
  if (!offers.length) ob.append(el("p", { class: "muted" }, t("no_offers")));
  for (const x of offers) {
    ob.append(el("article", { class: "card offer", "aria-label": `${t("offers")}: ${x.channel} ${x.queue}` },
      el("div", { class: "row" },
        el("strong", {}, `${x.channel} · ${x.queue}`), el("span", {}, `${t("customer")}: ${customerName(x)}`),
        el("span", { class: "badge" }, `${t("priority")} ${x.priority}`),
        x.offer_deadline ? el("span", { class: "muted", role: "timer", "data-until": x.offer_deadline, "data-label": "expires_in" }) : null),
      historyView(x.id),
      el("div", { class: "row" },
        el("button", { "data-key": `accept:${x.id}`, onclick: () => { focusNext = [`reply:${x.id}`, `disp:${x.id}`];
          act(() => api("POST", `/v1/offers/${enc(x.offer_id)}/accept`)); } }, t("accept")),
        el("button", { class: "secondary", "data-key": `reject:${x.id}`,
          onclick: () => act(() => api("POST", `/v1/offers/${enc(x.offer_id)}/reject`)) }, t("reject")))));
  }
  const tb = $("tasks"); tb.replaceChildren();
  if (!held.length) tb.append(el("p", { class: "muted" }, t("no_tasks")));
  for (const x of held) tb.append(taskCard(x));
  tick();
}

// historyView lists the customer's last contacts an offer carried.
function historyView(id) {
  const h = histories.get(id) || [];
  if (!h.length) return null;
  return el("div", { class: "muted" }, `${t("history")}: `,
    h.map((c) => `${new Date(c.at).toLocaleDateString(lang())} ${c.channel} ${c.queue}${c.disposition ? " (" + c.disposition + ")" : ""}`).join(" · "));
}

function taskCard(x) {
  const card = el("article", { class: "card", "aria-label": `${x.channel} ${x.queue} ${customerName(x)}` },
    el("div", { class: "row" }, el("strong", {}, `${x.channel} · ${x.queue}`),
      el("span", {}, `${t("customer")}: ${customerName(x)}`), ...(x.sla_clocks || []).map(clockView)),
    historyView(x.id));
  const msgs = messages.get(x.id) || [];
  if (msgs.length) {
    card.append(el("div", { role: "log", "aria-label": t("conversation") },
      msgs.map((m) => el("div", { class: `msg ${m.direction}${m.status === "failed" ? " failed" : ""}` },
        m.text || "", m.status === "failed" ? el("span", { class: "error" }, ` (${t("failed")})`) : null))));
  }
  if (x.state === "wrapping") {
    card.append(el("div", { class: "row" }, el("span", { role: "timer", "data-until": x.wrap_until || "", "data-label": "wrap_up", "data-suffix": "left" }),
      el("button", { "data-key": `ready:${x.id}`, onclick: () => act(async () => { await api("POST", `/v1/tasks/${enc(x.id)}/ready`); tasks.delete(x.id); render(); }) }, t("ready"))));
    return card;
  }
  if (x.channel !== "voice") {
    const box = field("textarea", `reply:${x.id}`, { rows: 2, cols: 50, "aria-label": t("reply") });
    card.append(el("form", { class: "row", onsubmit: (e) => { e.preventDefault(); act(async () => {
      await api("POST", `/v1/tasks/${enc(x.id)}/messages`, { text: box.value }); box.value = ""; drafts.delete(`reply:${x.id}`);
      await loadMessages(x.id); focusNext = [`reply:${x.id}`]; render(); }); } }, box,
      el("button", { type: "submit", "data-key": `send:${x.id}` }, t("send"))));
  }
  const disp = field("input", `disp:${x.id}`, { "aria-label": t("disposition"), placeholder: t("disposition") });
  const q = field("input", `xfer:${x.id}`, { "aria-label": `${t("transfer")} ${t("to_queue")}`, placeholder: t("queue"), size: 12 });
  const complete = () => act(async () => {
    const r = await api("POST", `/v1/tasks/${enc(x.id)}/complete`, { disposition: disp.value });
    drafts.delete(`disp:${x.id}`);
    if (r.state === "completed") tasks.delete(x.id); else tasks.set(x.id, r);
    focusNext = [`ready:${x.id}`]; render(); });
  disp.addEventListener("keydown", (e) => { if (e.key === "Enter") complete(); });
  card.append(el("div", { class: "row" }, disp,
    el("button", { "data-key": `complete:${x.id}`, onclick: complete }, t("complete")),
    q, el("button", { class: "secondary", "data-key": `transfer:${x.id}`, onclick: () => act(async () => {
      await api("POST", `/v1/tasks/${enc(x.id)}/transfer`, { queue: q.value }); drafts.delete(`xfer:${x.id}`);
      tasks.delete(x.id); render(); showNote(`${t("transferred_to")} ${q.value}`); }) }, t("transfer"))));
  return card;
}

if (session.key && session.agent) start();
