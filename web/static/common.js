// Shared by the pages: the API key (kept for the browser session), calls to
// the API, the agent stream read with fetch (an EventSource cannot send the
// key), and the English and Spanish texts.

const TEXT = {
  en: {
    title_agent: "Agent desktop", title_wallboard: "Wallboard", title_planner: "Planner workspace",
    key: "API key", agent_id: "Agent id", sign_in: "Sign in", sign_out: "Sign out", language: "Language",
    presence: "Presence", available: "Available", away: "Away", offline: "Offline", reason: "Reason",
    transferred_to: "Transferred to", day_after: "day", act_work: "work", act_break: "break", act_leave: "leave", act_overtime: "overtime", idle: "quiet", job_done: "done", job_failed: "failed", job_canceled: "canceled", r_missed: "missed offers", r_disconnected: "desktop disconnected",
    first_response: "1st", next_reply: "next", clock_breached: "breached", clock_stopped: "stopped", stored_rows: "Rows stored", rejected_rows: "Upload rejected: fix these rows", line: "Line", column: "Column", problem: "Problem",
    r_break: "Break", r_lunch: "Lunch", r_meeting: "Meeting", r_training: "Training", r_coaching: "Coaching",
    r_other: "Other…", other_reason: "Other reason", sound: "Sound on a new offer",
    offers: "Offers", no_offers: "No offers.", accept: "Accept", reject: "Reject", expires_in: "expires in",
    tasks: "My tasks", no_tasks: "No tasks.", reply: "Reply", send: "Send", transfer: "Transfer", to_queue: "to queue",
    complete: "Complete", disposition: "Disposition", ready: "Ready", wrap_up: "Wrap-up", left: "left",
    customer: "Customer", queue: "Queue", channel: "Channel", priority: "Priority", history: "Last contacts",
    conversation: "Conversation", failed: "not delivered", due: "due in", late: "late by", met: "met",
    connected: "Connected", reconnecting: "Reconnecting…", error: "Error",
    queues: "Queues", agents: "Agents", open: "open", closed: "closed", waiting: "waiting", oldest: "oldest",
    available_agents: "available", eligible: "eligible", service_level: "service level today",
    breaches: "breaches", abandoned: "abandoned", holding: "holding", updated: "updated", sl: "service level",
    staffing: "Staffing", contacts: "Contacts per interval", aht: "AHT (s)", target: "Target (s)",
    sl_goal: "Service level goal", patience: "Patience (s)", interval: "Interval (min)", shrinkage: "Shrinkage",
    compute: "Compute", erlang_c: "Erlang C", erlang_a: "Erlang A", agents_needed: "agents", scheduled: "scheduled",
    coverage: "Coverage", from: "From", to: "To", show: "Show", required: "required", planned: "scheduled",
    forecast: "Forecast upload (CSV)", upload: "Upload", schedule: "Schedule of an agent", load: "Load",
    simulation: "What-if simulation", run: "Run", progress: "progress", result: "Result",
    occupancy: "occupancy", asa: "ASA", abandon_rate: "abandoned", offered: "offered", day: "Day", activity: "Activity",
  },
  es: {
    title_agent: "Escritorio del agente", title_wallboard: "Panel de supervisión", title_planner: "Planificación",
    key: "Clave de API", agent_id: "Id. de agente", sign_in: "Entrar", sign_out: "Salir", language: "Idioma",
    presence: "Estado", available: "Disponible", away: "Ausente", offline: "Desconectado", reason: "Motivo",
    transferred_to: "Transferido a", day_after: "día", act_work: "trabajo", act_break: "pausa", act_leave: "ausencia", act_overtime: "horas extra", idle: "tranquila", job_done: "terminada", job_failed: "fallida", job_canceled: "cancelada", r_missed: "ofertas perdidas", r_disconnected: "escritorio desconectado",
    first_response: "1ª", next_reply: "siguiente", clock_breached: "incumplido", clock_stopped: "detenido", stored_rows: "Filas guardadas", rejected_rows: "Carga rechazada: corrija estas filas", line: "Línea", column: "Columna", problem: "Problema",
    r_break: "Descanso", r_lunch: "Comida", r_meeting: "Reunión", r_training: "Formación", r_coaching: "Coaching",
    r_other: "Otro…", other_reason: "Otro motivo", sound: "Sonido con cada oferta",
    offers: "Ofertas", no_offers: "Sin ofertas.", accept: "Aceptar", reject: "Rechazar", expires_in: "caduca en",
    tasks: "Mis tareas", no_tasks: "Sin tareas.", reply: "Respuesta", send: "Enviar", transfer: "Transferir", to_queue: "a la cola",
    complete: "Finalizar", disposition: "Resultado", ready: "Listo", wrap_up: "Cierre", left: "restante",
    customer: "Cliente", queue: "Cola", channel: "Canal", priority: "Prioridad", history: "Últimos contactos",
    conversation: "Conversación", failed: "no entregado", due: "vence en", late: "con retraso de", met: "cumplido",
    connected: "Conectado", reconnecting: "Reconectando…", error: "Error",
    queues: "Colas", agents: "Agentes", open: "abierta", closed: "cerrada", waiting: "en espera", oldest: "más antiguo",
    available_agents: "disponibles", eligible: "habilitados", service_level: "nivel de servicio hoy",
    breaches: "incumplimientos", abandoned: "abandonados", holding: "atiende", updated: "actualizado", sl: "nivel de servicio",
    staffing: "Dimensionamiento", contacts: "Contactos por intervalo", aht: "TMO (s)", target: "Objetivo (s)",
    sl_goal: "Nivel de servicio objetivo", patience: "Paciencia (s)", interval: "Intervalo (min)", shrinkage: "Merma",
    compute: "Calcular", erlang_c: "Erlang C", erlang_a: "Erlang A", agents_needed: "agentes", scheduled: "planificados",
    coverage: "Cobertura", from: "Desde", to: "Hasta", show: "Mostrar", required: "necesarios", planned: "planificados",
    forecast: "Subir previsión (CSV)", upload: "Subir", schedule: "Horario de un agente", load: "Cargar",
    simulation: "Simulación", run: "Ejecutar", progress: "progreso", result: "Resultado",
    occupancy: "ocupación", asa: "TME", abandon_rate: "abandonados", offered: "ofrecidos", day: "Día", activity: "Actividad",
  },
};

export function lang() {
  const chosen = sessionStorage.getItem("sb.lang");
  if (chosen && TEXT[chosen]) return chosen;
  return (navigator.language || "en").toLowerCase().startsWith("es") ? "es" : "en";
}

export function t(key) { return TEXT[lang()][key] ?? TEXT.en[key] ?? key; }

// translate fills every element with data-t (text) or data-t-label (aria-label).
export function translate(root = document) {
  document.documentElement.lang = lang();
  for (const el of root.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of root.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", t(el.dataset.tLabel));
}

// languageSwitch wires a <select> that switches the texts.
export function languageSwitch(sel, onChange) {
  sel.value = lang();
  sel.addEventListener("change", () => { sessionStorage.setItem("sb.lang", sel.value); translate(); onChange?.(); });
}

// session keeps the key typed in for this page (agent desktop, wallboard,
// planner each their own: a supervisor's key on the wallboard is not
// silently used by the planner in the same tab) for the browser session.
const page = location.pathname.split("/").pop().replace(/\.html$/, "") || "index";
export const session = {
  get key() { return sessionStorage.getItem(`sb.${page}.key`) || ""; },
  set key(v) { sessionStorage.setItem(`sb.${page}.key`, v); },
  get agent() { return sessionStorage.getItem(`sb.${page}.agent`) || ""; },
  set agent(v) { sessionStorage.setItem(`sb.${page}.agent`, v); },
  clear() { sessionStorage.removeItem(`sb.${page}.key`); sessionStorage.removeItem(`sb.${page}.agent`); },
};

export class APIError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status; this.problem = problem;
  }
}

// api calls the API with the session's key; JSON in and out (text for CSV).
export async function api(method, path, body, type = "application/json") {
  const headers = { Authorization: `Bearer ${session.key}` };
  if (body !== undefined) headers["Content-Type"] = type;
  const res = await fetch(path, { method, headers,
    body: body === undefined ? undefined : (type === "application/json" ? JSON.stringify(body) : body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

// stream reads a server-sent event stream with the key, calling onEvent(type,
// data, id) for each event, and reconnects with Last-Event-ID after a drop
// (1, 2, 4 … 15 s apart) until stop() is called. onState gets "connected" or
// "reconnecting".
export function stream(path, onEvent, onState) {
  let last = "", stopped = false, ctrl = null, wait = 1000;
  async function run() {
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const headers = { Authorization: `Bearer ${session.key}`, Accept: "text/event-stream" };
        if (last) headers["Last-Event-ID"] = last;
        const res = await fetch(path, { headers, signal: ctrl.signal });
        if (!res.ok) throw new APIError(res.status, await res.json().catch(() => null));
        onState?.("connected"); wait = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, i); buf = buf.slice(i + 2);
            let type = "message", data = [], id = "";
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) continue;
              const [k, ...rest] = line.split(":");
              const v = rest.join(":").replace(/^ /, "");
              if (k === "event") type = v; else if (k === "data") data.push(v); else if (k === "id") id = v;
            }
            if (id) last = id;
            if (data.length) {
              let parsed = data.join("\n");
              try { parsed = JSON.parse(parsed); } catch { /* text */ }
              onEvent(type, parsed, id);
            }
          }
        }
      } catch (err) {
        if (stopped) return;
        if (err instanceof APIError && (err.status === 401 || err.status === 403)) { onState?.("error", err); return; }
      }
      if (stopped) return;
      onState?.("reconnecting");
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 15000);
    }
  }
  run();
  return { stop() { stopped = true; ctrl?.abort(); } };
}

// el builds an element: el("div", {class: "x"}, "text", child, ...).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

// duration formats seconds as m:ss or h:mm:ss.
export function duration(s) {
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

// showError shows what went wrong, with the reason the API gave for each
// field it refused (problem+json errors), or clears the box.
export function showError(box, err) {
  const reasons = (err?.problem?.errors || []).map((x) => (x.field ? `${x.field}: ` : "") + x.reason);
  box.textContent = err ? `${t("error")}: ${err.message}${reasons.length ? " — " + reasons.join("; ") : ""}` : "";
  box.hidden = !err;
}
