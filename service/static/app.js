// ragchat chat page: plain JS, no build step, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { collection: null, conversation: null, turns: [], docs: new Map(), busy: false };
const storeKey = () => `ragchat:conversation:${state.collection}`;

function save() {
  localStorage.setItem(storeKey(), JSON.stringify({ conversation: state.conversation, turns: state.turns }));
}

function load() {
  const saved = JSON.parse(localStorage.getItem(storeKey()) || "null");
  state.conversation = saved ? saved.conversation : null;
  state.turns = saved ? saved.turns : [];
  $("log").replaceChildren(...state.turns.map(renderTurn));
  scrollDown();
}

function scrollDown() { const log = $("log"); log.scrollTop = log.scrollHeight; }

async function api(path, options = {}) {
  const res = await send(path, options);
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try { message = (await res.json()).error.message; } catch (_) { /* not JSON */ }
    const err = new Error(message);
    err.status = res.status;
    throw err;
  }
  return res.status === 204 ? null : res.json();
}

function renderAnswer(li, response) {
  const byIndex = new Map(response.citations.map((c) => [c.index, c]));
  const text = li.querySelector(".text");
  text.replaceChildren();
  let last = 0;
  for (const m of response.answer.matchAll(/\[(\d+)\]/g)) {
    text.append(response.answer.slice(last, m.index));
    const cite = byIndex.get(Number(m[1]));
    if (cite) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip" + (cite.supported ? "" : " unsupported");
      chip.textContent = m[1];
      const where = [cite.page ? `page ${cite.page}` : "", cite.section || ""].filter(Boolean).join(", ");
      chip.title = `${cite.source}${where ? ` (${where})` : ""}${cite.supported ? "" : " (not supported by the source)"}`;
      chip.setAttribute("aria-label", `Citation ${m[1]}: ${chip.title}`);
      chip.addEventListener("click", () => openSource(cite, chip));
      text.append(chip);
    } else {
      text.append(m[0]);
    }
    last = m.index + m[0].length;
  }
  text.append(response.answer.slice(last));
  li.classList.toggle("refused", response.refused);
  li.querySelector(".badge").hidden = !response.refused;
  const tools = li.querySelector(".tools");
  const unsupported = response.citations.filter((c) => !c.supported).length;
  const notes = [];
  if (response.refused) notes.push("no supporting passage found");
  if (unsupported) notes.push(`${unsupported} citation(s) not supported`);
  if (response.unsupported_sentences) notes.push(`${response.unsupported_sentences} sentence(s) without support`);
  notes.push(`${response.model} · ${Math.round(response.timings_ms.total)} ms`);
  tools.querySelector(".notes").textContent = notes.join(" · ");
  tools.hidden = false;
  // Answers the server numbered can be rated; the form lists their citations.
  tools.querySelector(".rate").hidden = !(response.turn >= 0 && response.conversation_id);
  const wrong = li.querySelector(".wrong");
  wrong.replaceChildren(wrong.querySelector("legend") || document.createElement("legend"));
  wrong.querySelector("legend").textContent = "Wrong citations";
  for (const c of response.citations) {
    const label = document.createElement("label");
    label.className = "check";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = String(c.index);
    label.append(box, ` [${c.index}] ${c.quote.slice(0, 80)}${c.quote.length > 80 ? "…" : ""}`);
    wrong.append(label);
  }
  wrong.hidden = !response.citations.length;
}

// A thumb drawn inline (Material Icons' thumb_up, Apache 2.0): no emoji font needed.
const THUMB = '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" ' +
  'd="M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 ' +
  '7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z"/></svg>';

function renderTurn(turn) {
  const li = document.createElement("li");
  li.className = `msg ${turn.role}`;
  if (turn.role === "user") { li.textContent = turn.content; return li; }
  li.innerHTML = '<span class="badge" hidden>Not in the documents</span><div class="text"></div>' +
    '<div class="tools" hidden><button type="button" class="copy">Copy answer</button>' +
    `<span class="rate" hidden><button type="button" class="up" aria-label="Good answer" aria-pressed="false">${THUMB}</button>` +
    `<button type="button" class="down" aria-label="Bad answer" aria-pressed="false">${THUMB}</button></span>` +
    '<span class="notes"></span><span class="rated" role="status"></span></div>' +
    '<form class="feedback" hidden aria-label="What was wrong with this answer">' +
    '<label>What was wrong? <textarea name="comment" rows="2" maxlength="2000"></textarea></label>' +
    '<label>The answer should be <input name="expected" maxlength="2000" autocomplete="off"></label>' +
    '<label class="check"><input type="checkbox" name="unanswerable"> The documents do not hold the answer</label>' +
    '<fieldset class="wrong" hidden><legend>Wrong citations</legend></fieldset>' +
    '<div class="row"><button type="submit">Send feedback</button><button type="button" class="cancel">Cancel</button></div></form>';
  li.querySelector(".copy").addEventListener("click", async (e) => {
    const plain = (turn.response ? turn.response.answer : li.querySelector(".text").textContent);
    try { await navigator.clipboard.writeText(plain); e.target.textContent = "Copied"; }
    catch (_) { e.target.textContent = "Copy failed"; }
    setTimeout(() => { e.target.textContent = "Copy answer"; }, 1500);
  });
  if (turn.response) renderAnswer(li, turn.response);
  li.querySelector(".up").addEventListener("click", () => rate(li, turn, { rating: "up" }));
  li.querySelector(".down").addEventListener("click", () => {
    const form = li.querySelector(".feedback");
    form.hidden = !form.hidden;
    if (!form.hidden) form.elements.comment.focus();
  });
  li.querySelector(".cancel").addEventListener("click", () => { li.querySelector(".feedback").hidden = true; });
  li.querySelector(".feedback").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const body = { rating: "down", comment: f.comment.value.trim(), unanswerable: f.unanswerable.checked };
    if (f.expected.value.trim()) body.expected_answer = f.expected.value.trim();
    body.wrong_citations = [...e.target.querySelectorAll(".wrong input:checked")].map((c) => Number(c.value));
    rate(li, turn, body);
  });
  return li;
}

// Thumbs on an answer: POST /v1/conversations/{id}/turns/{n}/feedback. Rating again replaces.
async function rate(li, turn, body) {
  const r = turn.response;
  const status = li.querySelector(".rated");
  try {
    await api(`/v1/conversations/${encodeURIComponent(r.conversation_id)}/turns/${r.turn}/feedback`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    li.querySelector(".up").setAttribute("aria-pressed", String(body.rating === "up"));
    li.querySelector(".down").setAttribute("aria-pressed", String(body.rating === "down"));
    li.querySelector(".feedback").hidden = true;
    status.textContent = body.rating === "up" ? "Thanks!" : "Feedback sent.";
  } catch (err) {
    status.textContent = `Feedback failed: ${err.message}`;
  }
}

async function documentText(id) {
  const key = `${state.collection}/${id}`;
  if (!state.docs.has(key)) {
    const q = encodeURIComponent(state.collection);
    state.docs.set(key, await api(`/v1/documents/${encodeURIComponent(id)}?collection=${q}`));
  }
  return state.docs.get(key);
}

async function openSource(cite, chip) {
  document.querySelectorAll(".chip.active").forEach((c) => c.classList.remove("active"));
  chip.classList.add("active");
  const panel = $("source");
  panel.hidden = false;
  $("source-title").textContent = cite.source;
  const where = [cite.page ? `page ${cite.page}` : "", cite.section || ""].filter(Boolean).join(" · ");
  $("source-meta").textContent = `${cite.title ? cite.title + " · " : ""}${where ? where + " · " : ""}characters ${cite.start}–${cite.end} · score ${cite.score}`;
  const st = $("source-state");
  st.textContent = cite.supported ? "Supported: the highlighted passage backs this claim." : "Not supported: this passage does not back the claim.";
  st.className = "state " + (cite.supported ? "ok" : "bad");
  const box = $("source-text");
  box.textContent = "Loading…";
  try {
    const doc = await documentText(cite.document_id);
    const from = Math.max(0, cite.start - 600), to = Math.min(doc.text.length, cite.end + 600);
    const mark = document.createElement("mark");
    mark.textContent = doc.text.slice(cite.start, cite.end);
    if (!cite.supported) mark.className = "unsupported";
    box.replaceChildren((from > 0 ? "…" : "") + doc.text.slice(from, cite.start), mark,
      doc.text.slice(cite.end, to) + (to < doc.text.length ? "…" : ""));
    box.scrollTop = Math.max(0, mark.offsetTop - box.offsetTop - box.clientHeight / 3);
  } catch (err) {
    box.textContent = `Could not load the source: ${err.message}`;
  }
}

function parseEvents(buffer, onEvent) {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  for (const block of blocks) {
    let event = "message", data = "";
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    if (data) onEvent(event, JSON.parse(data));
  }
  return rest;
}

async function ask(question) {
  state.busy = true;
  $("send").disabled = true;
  const user = { role: "user", content: question };
  state.turns.push(user);
  $("log").append(renderTurn(user));
  const turn = { role: "assistant", content: "", response: null };
  const li = renderTurn(turn);
  li.classList.add("pending");
  $("log").append(li);
  scrollDown();
  const body = { messages: [user], collection: state.collection, stream: true };
  if (state.conversation) body.conversation_id = state.conversation;
  try {
    const res = await send("/v1/chat", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    if (!res.ok) {
      let message = `${res.status}`;
      try { message = (await res.json()).error.message; } catch (_) { /* keep status */ }
      throw new Error(message);
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseEvents(buffer + decoder.decode(value, { stream: true }), (event, data) => {
        if (event === "delta") {
          turn.content += data.text;
          li.querySelector(".text").textContent = turn.content;
          scrollDown();
        } else if (event === "done") {
          turn.response = data;
          turn.content = data.answer;
          state.conversation = data.conversation_id;
          renderAnswer(li, data);
        } else if (event === "error") {
          throw new Error(data.error.message);
        }
      });
    }
    if (!turn.response) throw new Error("the answer stream ended early");
    state.turns.push(turn);
  } catch (err) {
    li.classList.add("refused");
    li.querySelector(".text").textContent = `Error: ${err.message}`;
  } finally {
    li.classList.remove("pending");
    state.busy = false;
    $("send").disabled = false;
    save();
    scrollDown();
    if (!$("chats").hidden) refreshChats();
  }
}

// The server keeps every conversation (GET /v1/conversations, the API key's own when keys are
// set); the panel lists them newest first, a page at a time, and opens, renames and deletes them.
let chatsCursor = null;

function chatButton(label, aria, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.setAttribute("aria-label", aria);
  b.addEventListener("click", onClick);
  return b;
}

function renderChat(c) {
  const li = document.createElement("li");
  li.dataset.id = c.conversation_id;
  li.classList.toggle("current", c.conversation_id === state.conversation);
  const title = c.title || "(untitled)";
  const open = chatButton("", `Open conversation: ${title}`, () => openChat(c.conversation_id));
  open.className = "name open";
  const when = new Date(c.updated_at * 1000).toLocaleString();
  const small = document.createElement("small");
  small.textContent = `${c.collection} · ${c.turn_count / 2 | 0} answer(s) · ${when}`;
  open.append(title, small);
  const rename = chatButton("Rename", `Rename conversation: ${title}`, async () => {
    const wanted = window.prompt("New title", title);
    if (wanted === null || !wanted.trim()) return;
    try {
      await api(`/v1/conversations/${encodeURIComponent(c.conversation_id)}`, {
        method: "PATCH", headers: { "content-type": "application/json" },
        body: JSON.stringify({ title: wanted.trim() }),
      });
      $("chats-status").textContent = `Renamed to ${wanted.trim()}.`;
    } catch (err) { $("chats-status").textContent = `Rename failed: ${err.message}`; }
    refreshChats();
  });
  const del = chatButton("Delete", `Delete conversation: ${title}`, async () => {
    if (!window.confirm(`Delete the conversation "${title}"?`)) return;
    try {
      await api(`/v1/conversations/${encodeURIComponent(c.conversation_id)}`, { method: "DELETE" });
      $("chats-status").textContent = `Deleted ${title}.`;
      if (c.conversation_id === state.conversation) newChat();
    } catch (err) { $("chats-status").textContent = `Delete failed: ${err.message}`; }
    refreshChats();
  });
  li.append(open, rename, del);
  return li;
}

async function refreshChats(more = false) {
  const list = $("chat-list");
  try {
    const page = more && chatsCursor ? `&cursor=${encodeURIComponent(chatsCursor)}` : "";
    const data = await api(`/v1/conversations?limit=20${page}`);
    const items = data.conversations.map(renderChat);
    if (more) list.append(...items); else list.replaceChildren(...items);
    chatsCursor = data.next_cursor;
    $("chats-more").hidden = !chatsCursor;
    if (!list.children.length) $("chats-status").textContent = "No conversations yet.";
  } catch (err) {
    $("chats-status").textContent = `Could not list conversations: ${err.message}`;
  }
}

function pickCollection(name) {
  const select = $("collection");
  if (![...select.options].some((o) => o.value === name)) select.append(new Option(name, name));
  select.value = name;
  state.collection = name;
  localStorage.setItem("ragchat:collection", name);
}

async function openChat(id) {
  if (state.busy) { $("chats-status").textContent = "Wait for the answer being written, then switch."; return; }
  try {
    const c = await api(`/v1/conversations/${encodeURIComponent(id)}`);
    if (c.collection && c.collection !== state.collection) pickCollection(c.collection);
    state.conversation = c.conversation_id;
    state.turns = c.turns.map((t) => (t.role === "user"
      ? { role: "user", content: t.content }
      : { role: "assistant", content: t.content, response: t.response }));
    save();
    load();
    $("chats-status").textContent = "";
    refreshChats();
  } catch (err) {
    $("chats-status").textContent = `Could not open the conversation: ${err.message}`;
  }
}

function newChat() {
  if (state.busy) return;  // the answer being written belongs to the open conversation
  state.conversation = null; state.turns = []; save(); load(); $("question").focus();
}

async function refreshDocs() {
  const list = $("doc-list");
  try {
    const data = await api(`/v1/documents?collection=${encodeURIComponent(state.collection)}`);
    list.replaceChildren(...data.documents.map((d) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = `${d.source} · ${d.chunks} chunks`;
      const del = document.createElement("button");
      del.type = "button";
      del.textContent = "Delete";
      del.setAttribute("aria-label", `Delete ${d.source}`);
      del.addEventListener("click", async () => {
        if (!confirm(`Delete ${d.source} from ${state.collection}?`)) return;
        try { await api(`/v1/documents/${d.document_id}?collection=${encodeURIComponent(state.collection)}`, { method: "DELETE" });
              $("docs-status").textContent = `Deleted ${d.source}.`; }
        catch (err) { $("docs-status").textContent = `Delete failed: ${err.message}`; }
        refreshDocs();
      });
      li.append(name, del);
      return li;
    }));
    if (!data.documents.length) $("docs-status").textContent = "No documents in this collection yet.";
  } catch (err) {
    $("docs-status").textContent = `Could not list documents: ${err.message}`;
  }
}

// Uploads go through POST /v1/ingest as a job; the panel follows its progress.
async function ingest(files, replace) {
  const form = new FormData();
  for (const f of files) form.append("files", f);
  const q = `collection=${encodeURIComponent(state.collection)}&wait=false${replace ? "&replace=true" : ""}`;
  return api(`/v1/ingest?${q}`, { method: "POST", body: form });
}

function describeResult(r) {
  if (r.status === "failed") return `${r.filename}: failed, ${r.error ? r.error.message : "unknown error"}.`;
  return `${r.source || r.filename}: ${r.status}, ${r.chunks} chunks.`;
}

function renderJob(job) {
  const list = $("job-list");
  let li = document.getElementById(`job-${job.id}`);
  if (!li) {
    li = document.createElement("li");
    li.id = `job-${job.id}`;
    li.innerHTML = '<span class="name"></span><progress max="1" value="0"></progress>';
    list.prepend(li);
    while (list.children.length > 5) list.lastElementChild.remove();
  }
  const { done, total, failed } = job.progress;
  li.dataset.state = job.state;
  li.querySelector(".name").textContent =
    `${done} of ${total} files · ${job.state}${failed ? ` · ${failed} failed` : ""}`;
  const bar = li.querySelector("progress");
  bar.max = Math.max(total, 1);
  bar.value = done;
  bar.setAttribute("aria-label", `Ingestion job: ${done} of ${total} files`);
}

async function follow(job) {
  renderJob(job);
  while (job.state === "queued" || job.state === "running") {
    await new Promise((resolve) => setTimeout(resolve, 400));
    job = await api(`/v1/jobs/${encodeURIComponent(job.id)}?collection=${encodeURIComponent(job.collection)}`);
    renderJob(job);
  }
  return job;
}

async function refreshJobs() {
  try {
    const data = await api(`/v1/jobs?collection=${encodeURIComponent(state.collection)}&limit=5`);
    $("job-list").replaceChildren();
    for (const job of data.jobs.reverse()) renderJob(job);
    for (const job of data.jobs) if (!["succeeded", "failed"].includes(job.state)) follow(job).then(refreshDocs);
  } catch (_) { /* the documents list reports errors */ }
}

async function loadCollections() {
  const select = $("collection");
  let names = [];
  try { names = (await api("/v1/models")).data.map((m) => m.id); } catch (_) { /* offline */ }
  // The collection last picked in this browser, else the server's RAGCHAT_COLLECTION.
  const configured = document.querySelector('meta[name="ragchat-collection"]');
  const wanted = localStorage.getItem("ragchat:collection") || (configured && configured.content) || names[0] || "default";
  if (!names.includes(wanted)) names.unshift(wanted);
  select.replaceChildren(...names.map((n) => new Option(n, n, false, n === wanted)));
  state.collection = wanted;
}

function togglePanel(id, show) {
  const panel = $(id);
  panel.hidden = show === undefined ? !panel.hidden : !show;
  if (id === "docs") {
    $("docs-toggle").setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) { refreshDocs(); refreshJobs(); }
  }
  if (id === "chats") {
    $("chats-toggle").setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) refreshChats();
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  await loadCollections();
  load();
  $("collection").addEventListener("change", (e) => {
    state.collection = e.target.value;
    localStorage.setItem("ragchat:collection", state.collection);
    load();
    if (!$("docs").hidden) { refreshDocs(); refreshJobs(); }
  });
  $("ask").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("question").value.trim();
    if (!q || state.busy) return;
    $("question").value = "";
    ask(q);
  });
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("ask").requestSubmit(); }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { togglePanel("source", false); }
  });
  document.querySelectorAll("[data-close]").forEach((b) =>
    b.addEventListener("click", () => togglePanel(b.dataset.close, false)));
  $("docs-toggle").addEventListener("click", () => togglePanel("docs"));
  $("chats-toggle").addEventListener("click", () => togglePanel("chats"));
  $("chats-more").addEventListener("click", () => refreshChats(true));
  $("clear").addEventListener("click", () => {
    newChat();
    if (!$("chats").hidden) refreshChats();
  });
  $("upload").addEventListener("submit", (e) => {
    e.preventDefault();
    upload([...$("file").files]);
  });
  // Files dropped anywhere on the documents panel are uploaded like chosen ones.
  const docs = $("docs");
  for (const type of ["dragenter", "dragover"]) {
    docs.addEventListener(type, (e) => { e.preventDefault(); docs.classList.add("dropping"); });
  }
  docs.addEventListener("dragleave", (e) => { if (e.target === docs) docs.classList.remove("dropping"); });
  docs.addEventListener("drop", (e) => {
    e.preventDefault();
    docs.classList.remove("dropping");
    upload([...e.dataTransfer.files]);
  });
  $("question").focus();
});

async function upload(files) {
  if (!files.length) return;
  $("docs-status").textContent = `Uploading ${files.map((f) => f.name).join(", ")}…`;
  try {
    let job = await follow(await ingest(files, false));
    // A name already in the collection: replacing it is the user's call.
    const existing = job.results.filter((r) => r.error && r.error.type === "document_exists");
    const names = existing.map((r) => r.filename);
    if (existing.length && window.confirm(`${names.join(", ")} already in this collection. Replace?`)) {
      const again = files.filter((f) => names.includes(f.name));
      const replaced = await follow(await ingest(again, true));
      job = { ...job, results: job.results.filter((r) => !names.includes(r.filename)).concat(replaced.results) };
    }
    $("docs-status").textContent = job.results.map(describeResult).join("\n");
    $("file").value = "";
    state.docs.clear();
    await loadCollections();
  } catch (err) {
    $("docs-status").textContent = `Upload failed: ${err.message}`;
  }
  refreshDocs();
}
