// The warning before the idle sign-out (templates/accounts/_idle_warning.html).
//
// The server signs a session out after SESSION_IDLE_TIMEOUT without a request that is not
// a background one (accounts/middleware.py). This page counts down from its own last such
// request; near the end it asks the server how long is really left (another tab may have
// been busy meanwhile) and, if it is little, opens the dialog. "Stay signed in" POSTs to
// the server, which marks the session active: the button really extends the session.
(() => {
  const dialog = document.getElementById("idle-warning");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const idle = Number(dialog.dataset.idleSeconds) * 1000;
  const warn = Number(dialog.dataset.warnSeconds) * 1000;
  const countdown = dialog.querySelector("[data-idle-countdown]");
  const background = { "X-Desk-Background": "1", Accept: "application/json" };
  let deadline = Date.now() + idle;
  let asking = false;
  let returnFocus = null;

  // Seconds left as the server sees them; null once it has signed us out (a redirect).
  async function remaining(url, options) {
    try {
      const response = await fetch(url, { credentials: "same-origin", redirect: "manual", ...options });
      if (!response.ok) return null;
      return (await response.json()).remaining * 1000;
    } catch {
      return null;
    }
  }

  function spell(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const minutes = Math.floor(total / 60);
    const seconds = total % 60;
    const parts = [];
    if (minutes) parts.push(`${minutes} min`);
    if (seconds || !minutes) parts.push(`${seconds} s`);
    return parts.join(" ");
  }

  function open() {
    countdown.textContent = spell(deadline - Date.now());
    returnFocus = document.activeElement;
    dialog.showModal();
    dialog.querySelector("[data-idle-stay]").focus();
  }

  function close() {
    if (dialog.open) dialog.close();
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  }

  async function stay() {
    const left = await remaining(dialog.dataset.stayUrl, {
      method: "POST",
      headers: { "X-CSRFToken": dialog.dataset.csrf, Accept: "application/json" },
    });
    if (left === null) {
      window.location.reload(); // too late: the sign-in page says why
      return;
    }
    deadline = Date.now() + left;
    close();
  }

  async function tick() {
    const left = deadline - Date.now();
    if (dialog.open) {
      countdown.textContent = spell(left);
      if (left <= 0) window.location.reload(); // the server signs out and says why
      return;
    }
    if (left > warn || asking) return;
    asking = true;
    const server = await remaining(dialog.dataset.statusUrl, { headers: background });
    asking = false;
    if (server === null || server <= 0) {
      window.location.reload();
      return;
    }
    deadline = Date.now() + server;
    if (server <= warn) open();
  }

  dialog.querySelector("[data-idle-stay]").addEventListener("click", stay);
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape is someone at the keyboard: stay
    stay();
  });
  // Any request of this page's own that is not a background poll is activity to the server.
  document.addEventListener("htmx:afterRequest", (event) => {
    const headers = event.detail.requestConfig?.headers || {};
    if (event.detail.successful && headers["X-Desk-Background"] !== "1") {
      deadline = Date.now() + idle;
      close();
    }
  });
  window.setInterval(tick, 1000);
})();
