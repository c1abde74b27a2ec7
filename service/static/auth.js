// ragchat chat page: API keys. Loaded before app.js, whose requests all go through send().
// When the server answers 401 (RAGCHAT_API_KEYS is set), the key form asks for a key; it is
// kept in sessionStorage (this tab only), and every request that waited for it is sent again.
"use strict";

const KEY_STORE = "ragchat:api-key";
let keyWanted = null;

function askForKey(rejected) {
  if (!keyWanted) {
    keyWanted = new Promise((resolve) => {
      const form = document.getElementById("key-form");
      const input = document.getElementById("api-key");
      document.getElementById("key-state").textContent = rejected
        ? "That API key was not accepted; enter another." : "This server needs an API key.";
      input.value = "";
      form.hidden = false;
      input.focus();
      form.onsubmit = (e) => {
        e.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        sessionStorage.setItem(KEY_STORE, key);
        form.hidden = true;
        keyWanted = null;
        resolve();
      };
    });
  }
  return keyWanted;
}

async function send(path, options = {}) {
  for (;;) {
    const key = sessionStorage.getItem(KEY_STORE);
    const headers = { ...(options.headers || {}) };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(path, { ...options, headers });
    if (res.status !== 401) return res;
    // A key rejected now is forgotten, unless another was entered while this request ran.
    if (key && sessionStorage.getItem(KEY_STORE) === key) sessionStorage.removeItem(KEY_STORE);
    await askForKey(Boolean(key));
  }
}
