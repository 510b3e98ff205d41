// One timeline entry per event: its seq, time, name and what it says, expandable to its JSON.

const BASE_FIELDS = new Set(["event", "event_class", "created_at", "run_id", "session_id", "agent_id",
  "agent_name", "content", "tool_call_id"]);

function short(value, limit = 160) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

function toolCall(tool) {
  if (!tool) return "";
  const args = Object.entries(tool.tool_args || {}).map(([k, v]) => `${k}=${short(JSON.stringify(v), 60)}`).join(", ");
  return `${tool.tool_name}(${args})`;
}

/** What one event says, in a line of plain text (it is put in the page as text, never as HTML). */
export function describe(name, data) {
  switch (name) {
    case "RunStarted":
    case "ModelRequestStarted":
      return data.model ? `model ${data.model}` : "";
    case "RunContent":
    case "RunIntermediateContent":
      return data.content == null ? short(data.reasoning_content ?? "") : short(data.content);
    case "ToolCallStarted":
      return toolCall(data.tool);
    case "ToolCallCompleted":
      return `${toolCall(data.tool)} → ${short(data.content ?? data.tool?.result ?? "")}`;
    case "ToolCallError":
      return `${toolCall(data.tool)} failed: ${short(data.error ?? "")}`;
    case "ReasoningStep":
    case "ReasoningCompleted":
      return short(data.reasoning_content || data.content || "");
    case "ReasoningContentDelta":
      return short(data.reasoning_content ?? "");
    case "ModelRequestCompleted":
      return data.total_tokens != null ? `${data.input_tokens} in, ${data.output_tokens} out tokens` : "";
    case "RunPaused":
      return `waiting for: ${(data.tools || []).map(toolCall).join("; ")}`;
    case "RunError":
      return `${data.error_type ? `${data.error_type}: ` : ""}${short(data.content ?? "")}`;
    case "RunCancelled":
      return data.reason ?? "";
    case "RunCompleted":
      return short(data.content ?? "");
    default: {
      // custom events (and any event this page does not know): their own fields
      const fields = Object.entries(data).filter(([k]) => !BASE_FIELDS.has(k));
      if (data.content != null) fields.unshift(["content", data.content]);
      return fields.map(([k, v]) => `${k}=${short(JSON.stringify(v), 80)}`).join(", ");
    }
  }
}

const KIND = {
  RunError: "error", ToolCallError: "error", RunCancelled: "warn", RunPaused: "warn",
  ToolCallStarted: "tool", ToolCallCompleted: "tool", RunCompleted: "done",
  ReasoningStep: "reasoning", ReasoningStarted: "reasoning", ReasoningCompleted: "reasoning",
  ReasoningContentDelta: "reasoning",
};

export function timelineItem(seq, name, data) {
  const item = document.createElement("li");
  item.dataset.seq = String(seq);
  item.dataset.event = name;
  item.className = `event ${KIND[name] || (name.startsWith("Run") || name.startsWith("Model") ? "" : "custom")}`;
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  const time = document.createElement("time");
  const when = new Date((data.created_at || 0) * 1000);
  time.dateTime = when.toISOString();
  time.textContent = when.toLocaleTimeString([], { hour12: false }) + `.${String(when.getMilliseconds()).padStart(3, "0")}`;
  const label = document.createElement("span");
  label.className = "name";
  label.textContent = name;
  const text = document.createElement("span");
  text.className = "what";
  text.textContent = describe(name, data);
  summary.append(`#${seq} `, time, " ", label, " ", text);
  const json = document.createElement("pre");
  json.textContent = JSON.stringify(data, null, 2);
  details.append(summary, json);
  item.append(details);
  return item;
}
