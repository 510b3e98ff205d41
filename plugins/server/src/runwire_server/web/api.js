// The server's HTTP API with the tab's API key, and a reader for its SSE streams (fetch, because
// EventSource cannot send an Authorization header).

const KEY = "runwire.key";

export const auth = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) { value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
  }
}

function headers(extra = {}) {
  return { Authorization: `Bearer ${auth.key}`, ...extra };
}

async function failure(response) {
  let detail = response.statusText;
  try { detail = (await response.json()).detail ?? detail; } catch { /* not JSON */ }
  return new ApiError(response.status, detail);
}

export async function getJson(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** Open an SSE stream and call onEvent({seq, name, data}) for each message until it ends. */
export async function stream(path, { method = "GET", body, lastEventId, signal, onEvent }) {
  const extra = { Accept: "text/event-stream" };
  if (body !== undefined) extra["Content-Type"] = "application/json";
  if (lastEventId !== undefined && lastEventId !== null) extra["Last-Event-ID"] = String(lastEventId);
  const response = await fetch(path, {
    method, headers: headers(extra), body: body === undefined ? undefined : JSON.stringify(body), signal,
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let message = { data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        if (message.data.length) {
          onEvent({ seq: Number(message.id), name: message.event, data: JSON.parse(message.data.join("\n")) });
        }
        message = { data: [] };
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") message.data.push(value);
        else if (field === "id" || field === "event") message[field] = value;
      }
    }
  }
}
