// The page: sign in, pick an agent, chat, watch and steer a run, replay past ones.
import { ApiError, auth, getJson, postJson, stream } from "./api.js";
import { renderMarkdown } from "./markdown.js";
import { timelineItem } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const LIVE = "runwire.live"; // the run this tab watches: {runId, sessionId, agentId, message, seq, events}
const SESSION = "runwire.session";
const ENDS = new Set(["RunCompleted", "RunError", "RunCancelled"]);

let view = null; // {runId, seq, events, answer, turn, live}

// -- sign in ------------------------------------------------------------------------------------
$("sign-in-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  auth.key = $("api-key").value.trim();
  $("api-key").value = "";
  await window.addEventListener("hashchange", () => {
  const runId = new URLSearchParams(location.hash.slice(1)).get("run");
  if (auth.key && runId && runId !== view?.runId) openRun(runId);
});

start();
});

$("sign-out").addEventListener("click", () => {
  sessionStorage.clear();
  location.hash = "";
  location.reload();
});

function showError(error, where = "error") {
  $(where).textContent = error ? (error.message || String(error)) : "";
}

async function start() {
  if (!auth.key) return;
  let agents;
  try {
    agents = await getJson("/agents");
  } catch (error) {
    auth.key = null;
    showError(error.status === 401 ? new Error("That key was not accepted.") : error, "sign-in-error");
    return;
  }
  showError(null, "sign-in-error");
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  $("who").hidden = false;
  const select = $("agent");
  select.replaceChildren(...agents.map((a) => new Option(a.name ? `${a.name}` : a.id, a.id)));
  const saved = sessionStorage.getItem("runwire.agent");
  if (saved && agents.some((a) => a.id === saved)) select.value = saved;
  await loadSessions();
  const live = JSON.parse(sessionStorage.getItem(LIVE) || "null");
  const hashRun = new URLSearchParams(location.hash.slice(1)).get("run");
  if (live) await resume(live);
  else if (hashRun) await openRun(hashRun);
  $("message").focus();
}

$("agent").addEventListener("change", () => {
  sessionStorage.setItem("runwire.agent", $("agent").value);
  newChat();
});

function newChat() {
  sessionStorage.removeItem(SESSION);
  $("messages").replaceChildren();
  $("events").replaceChildren();
  $("metrics").hidden = true;
  $("pause").hidden = true;
  setStatus("");
  view = null;
}
$("new-chat").addEventListener("click", newChat);

// -- the conversation ---------------------------------------------------------------------------
function addTurn(message) {
  const turn = document.createElement("article");
  turn.className = "turn";
  const you = document.createElement("div");
  you.className = "msg user";
  you.textContent = message ?? "";
  const answer = document.createElement("div");
  answer.className = "msg assistant markdown";
  answer.setAttribute("aria-live", "polite");
  turn.append(you, answer);
  $("messages").append(turn);
  return answer;
}

function setStatus(text, running = false) {
  $("run-status").textContent = text;
  $("cancel").hidden = !running;
  $("send").disabled = running;
}

function beginView(runId, message, { live, seq = -1, events = [] }) {
  $("events").replaceChildren();
  $("metrics").hidden = true;
  $("pause").hidden = true;
  view = { runId, seq: -1, events: [], text: "", answer: addTurn(message), live, message };
  for (const e of events) apply(e, false);
  view.seq = Math.max(view.seq, seq);
}

function persist() {
  if (!view?.live) return;
  const { runId, sessionId, agentId, message, seq, events } = view;
  try {
    sessionStorage.setItem(LIVE, JSON.stringify({ runId, sessionId, agentId, message, seq, events }));
  } catch { /* storage full: a reload replays the run from its start instead */
    sessionStorage.setItem(LIVE, JSON.stringify({ runId, sessionId, agentId, message, seq: -1, events: [] }));
  }
}

/** Show one event: in the timeline, in the answer, and as controls (pause, end). */
function apply(event, save = true) {
  if (!view || event.seq <= view.seq) return; // never show an event twice
  const { seq, name, data } = event;
  view.seq = seq;
  view.events.push(event);
  if (!view.runId) view.runId = data.run_id;
  if (data.session_id) { view.sessionId = data.session_id; if (view.live) sessionStorage.setItem(SESSION, data.session_id); }
  const list = $("events");
  const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
  list.append(timelineItem(seq, name, data));
  if (atEnd) list.scrollTop = list.scrollHeight; // follow new events unless the reader scrolled up
  if (name === "RunContent" && typeof data.content === "string") {
    view.text += data.content;
  } else if (name === "RunCompleted" && data.content != null) {
    view.text = typeof data.content === "string" ? data.content : JSON.stringify(data.content, null, 2);
  } else if (name === "RunError") {
    view.answer.dataset.state = "error";
  }
  view.answer.innerHTML = renderMarkdown(view.text);
  if (name === "RunStarted" || name === "RunContinued") setStatus(`Running ${view.runId}`, view.live);
  if (name === "RunStarted" && view.live && save) loadSessions(); // a new run may have opened a session
  if (name === "RunPaused") showPause(data);
  if (ENDS.has(name)) finished(name);
  if (save) persist();
}

function finished(name) {
  const { runId } = view;
  setStatus(name === "RunCompleted" ? `Completed ${runId}` : name === "RunError" ? `Failed ${runId}` : `Cancelled ${runId}`);
  if (view.live) sessionStorage.removeItem(LIVE);
  view.live = false;
  showMetrics(runId);
  loadSessions();
}

const settled = () => !view?.live || ["RunPaused", ...ENDS].includes(view.events[view.events.length - 1]?.name);

/** Stream a run's events into the view; a connection that drops mid-run is picked up again after the last seq. */
async function follow(path, options) {
  for (let attempt = 0; ; attempt++) {
    try {
      await stream(path, { ...options, onEvent: (e) => apply(e) });
      showError(null);
    } catch (error) {
      showError(error);
      if (error instanceof ApiError) { sessionStorage.removeItem(LIVE); setStatus(""); return; }
    }
    if (settled() || !view.runId || attempt >= 5) return;
    await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
    if (settled()) return;
    path = `/runs/${encodeURIComponent(view.runId)}/events`;
    options = { lastEventId: view.seq };
  }
}

$("chat-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const message = $("message").value.trim();
  if (!message || $("send").disabled) return;
  $("message").value = "";
  showError(null);
  const agentId = $("agent").value;
  const sessionId = sessionStorage.getItem(SESSION) || undefined;
  beginView(null, message, { live: true });
  Object.assign(view, { agentId, sessionId });
  setStatus("Starting…", true);
  await follow(`/agents/${encodeURIComponent(agentId)}/runs`, {
    method: "POST", body: { message, session_id: sessionId },
  });
});

$("message").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("chat-form").requestSubmit(); }
});

$("cancel").addEventListener("click", async () => {
  if (!view?.runId) return;
  try { await postJson(`/runs/${encodeURIComponent(view.runId)}/cancel`, {}); } catch (error) { showError(error); }
});

/** After a reload: show what this tab had seen, then stream what came after its last seq. */
async function resume(live) {
  beginView(live.runId, live.message, { live: true, events: live.events, seq: live.seq });
  Object.assign(view, { sessionId: live.sessionId, agentId: live.agentId });
  const last = view.events[view.events.length - 1];
  if (last?.name === "RunPaused") return; // waiting for an answer: the form is shown, nothing more will come
  setStatus(`Running ${live.runId}`, true);
  await follow(`/runs/${encodeURIComponent(live.runId)}/events`, { lastEventId: view.seq });
}

// -- a paused run: answer it in place -----------------------------------------------------------
function field(labelText, input) {
  const wrap = document.createElement("div");
  wrap.className = "field";
  const label = document.createElement("label");
  label.textContent = labelText;
  input.id = `f-${Math.random().toString(36).slice(2)}`;
  label.htmlFor = input.id;
  wrap.append(label, input);
  return wrap;
}

function showPause(data) {
  const box = $("pause");
  const form = document.createElement("form");
  const heading = document.createElement("h3");
  heading.textContent = "The run waits for you";
  form.append(heading);
  const answers = [];
  for (const tool of data.tools || []) {
    if (tool.answered || tool.status !== "paused") continue;
    const set = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = `${tool.tool_name}(${JSON.stringify(tool.tool_args || {})})`;
    set.append(legend);
    const answer = { tool_call_id: tool.tool_call_id, read: [] };
    if (tool.requires_confirmation) {
      const group = document.createElement("div");
      group.className = "choices";
      for (const [value, text] of [["yes", "Approve"], ["no", "Reject"]]) {
        const label = document.createElement("label");
        const radio = document.createElement("input");
        Object.assign(radio, { type: "radio", name: `c-${tool.tool_call_id}`, value, required: true });
        label.append(radio, ` ${text}`);
        group.append(label);
      }
      const note = document.createElement("input");
      note.type = "text";
      set.append(group, field("Note (optional)", note));
      answer.read.push((out) => {
        out.confirmed = set.querySelector("input[type=radio]:checked")?.value === "yes";
        if (note.value) out.confirmation_note = note.value;
      });
    }
    if (tool.requires_user_input) {
      const inputs = {};
      for (const f of tool.user_input_schema || []) {
        const input = document.createElement("input");
        const numeric = f.field_type === "int" || f.field_type === "float";
        input.type = f.field_type === "bool" ? "checkbox" : numeric ? "number" : "text";
        if (f.field_type === "float") input.step = "any";
        if (f.value != null) input.type === "checkbox" ? (input.checked = !!f.value) : (input.value = f.value);
        input.required = !!f.required && input.type !== "checkbox";
        inputs[f.name] = input;
        set.append(field(`${f.name}${f.description ? ` — ${f.description}` : ""}`, input));
      }
      answer.read.push((out) => {
        out.user_input = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name,
          input.type === "checkbox" ? input.checked : input.type === "number" ? Number(input.value) : input.value]));
      });
    }
    if (tool.external_execution_required) {
      const result = document.createElement("textarea");
      result.required = true;
      set.append(field("Result of the tool (run outside)", result));
      answer.read.push((out) => { out.result = result.value; });
    }
    answers.push(answer);
    form.append(set);
  }
  const submit = document.createElement("button");
  submit.type = "submit";
  submit.textContent = "Continue run";
  form.append(submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const tools = answers.map(({ tool_call_id, read }) => {
      const out = { tool_call_id };
      for (const r of read) r(out);
      return out;
    });
    box.hidden = true;
    view.live = true;
    setStatus(`Continuing ${view.runId}`, true);
    await follow(`/runs/${encodeURIComponent(view.runId)}/continue`, { method: "POST", body: { tools } });
  });
  box.replaceChildren(form);
  box.hidden = false;
  setStatus(`Paused ${view.runId}`);
  form.querySelector("input, textarea")?.focus();
}

// -- sessions, past runs, replay ----------------------------------------------------------------
async function loadSessions() {
  let sessions;
  try { sessions = await getJson("/sessions"); } catch (error) { showError(error); return; }
  const list = $("sessions");
  list.replaceChildren(...sessions.map((s) => {
    const item = document.createElement("li");
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = `${s.agent_id ?? ""} · ${new Date(s.updated_at * 1000 || s.updated_at).toLocaleString()}`;
    summary.title = s.session_id;
    const runs = document.createElement("ul");
    details.append(summary, runs);
    details.addEventListener("toggle", () => { if (details.open) loadRuns(s.session_id, runs); });
    item.append(details);
    item.dataset.session = s.session_id;
    return item;
  }));
  if (!sessions.length) list.innerHTML = "<li class=\"hint\">No sessions yet.</li>";
}
$("refresh-sessions").addEventListener("click", loadSessions);

async function loadRuns(sessionId, list) {
  try {
    const session = await getJson(`/sessions/${encodeURIComponent(sessionId)}`);
    list.replaceChildren(...session.runs.map((run) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.dataset.run = run.run_id;
      button.textContent = `${firstMessage(run).slice(0, 40) || run.run_id} (${run.status})`;
      button.addEventListener("click", () => { sessionStorage.setItem(SESSION, sessionId); openRun(run.run_id); });
      item.append(button);
      return item;
    }));
  } catch (error) { showError(error); }
}

function firstMessage(run) {
  if (typeof run.input === "string") return run.input;
  if (run.input?.input_content) return String(run.input.input_content);
  const user = (run.messages || []).find((m) => m.role === "user");
  return typeof user?.content === "string" ? user.content : "";
}

/** Replay a stored run's events (or follow it, if it still runs) and show its metrics. */
async function openRun(runId) {
  showError(null);
  let run;
  try { run = await getJson(`/runs/${encodeURIComponent(runId)}`); } catch (error) { showError(error); return; }
  location.hash = `run=${runId}`;
  $("messages").replaceChildren();
  const live = run.status === "running";
  beginView(runId, firstMessage(run), { live });
  Object.assign(view, { sessionId: run.session_id, agentId: run.agent_id });
  setStatus(`${live ? "Running" : "Replaying"} ${runId}`, live);
  await follow(`/runs/${encodeURIComponent(runId)}/events`, {});
  if (!live && run.status !== "paused") {
    setStatus(`Replayed ${runId} (${run.status})`);
  }
}

async function showMetrics(runId, run) {
  try { run = run ?? await getJson(`/runs/${encodeURIComponent(runId)}`); } catch { return; }
  const m = run.metrics || {};
  const seconds = (s) => (s == null ? "–" : `${(s * 1000).toFixed(0)} ms`);
  const rows = [
    ["Tokens", `${m.input_tokens ?? 0} in · ${m.output_tokens ?? 0} out · ${m.total_tokens ?? 0} total`],
    ["Time to first token", seconds(m.time_to_first_token)],
    ["Duration", seconds(m.duration)],
    ["Cost", m.cost == null ? "–" : `$${Number(m.cost).toFixed(6)}`],
  ];
  $("metrics").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    return [dt, dd];
  }));
  $("metrics").hidden = false;
}

window.addEventListener("hashchange", () => {
  const runId = new URLSearchParams(location.hash.slice(1)).get("run");
  if (auth.key && runId && runId !== view?.runId) openRun(runId);
});

start();
