// Drives runwire-server's AG-UI endpoint with the official @ag-ui/client, as an application would:
// one run with a user message, then, if it ended on interrupts, a second run answering them.
// Usage: node drive.mjs '{"url": ..., "token": ..., "threadId": ..., "message": ..., "answer": {...}}'
// Prints one JSON document: the runs, each with its events, interrupts and error (if any).
import { HttpAgent } from "@ag-ui/client";

const cfg = JSON.parse(process.argv[2]);
const agent = new HttpAgent({
  url: cfg.url,
  headers: { Authorization: `Bearer ${cfg.token}` },
  threadId: cfg.threadId,
  initialMessages: [{ id: "m1", role: "user", content: cfg.message }],
});

async function run(parameters) {
  const events = [];
  let interrupts = [];
  let outcome = null;
  let failed = null;
  try {
    await agent.runAgent(parameters, {
      onEvent({ event }) { events.push(event); },
      onRunFinishedEvent(params) {
        outcome = params.outcome;
        if (params.outcome === "interrupt") interrupts = params.interrupts;
      },
      onRunFailed({ error }) { failed = String(error && error.message || error); },
    });
  } catch (error) {
    failed = failed || String(error && error.message || error);
  }
  return { events, interrupts, outcome, failed };
}

const runs = [await run({ runId: "client-run-1" })];
if (runs[0].interrupts.length && cfg.answer !== undefined) {
  runs.push(await run({
    runId: "client-run-2",
    resume: runs[0].interrupts.map((i) => ({ interruptId: i.id, status: "resolved", payload: cfg.answer })),
  }));
}
const text = agent.messages.filter((m) => m.role === "assistant").map((m) => m.content || "").join("|");
console.log(JSON.stringify({ runs, text, messages: agent.messages }));
