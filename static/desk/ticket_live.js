// The ticket page while others have it open (docs/design.md §10; tickets/live.py).
//
// - The presence strip (#ticket-presence) polls /tickets/<ref>/live/ every 4 s; the server
//   answers 204 when neither the ticket's version nor the people here changed.
// - When the version changed, the page is fetched in the background and each card whose
//   content changed is swapped in — never one the user is typing in or has a form open in
//   (it is swapped once they leave it).
// - Only what is new is announced (the live region gets each new sentence once).
// - Every form posted from the page says what the page showed (seen_state, seen_assignee),
//   so that a move someone else overtook is answered with what changed.
(() => {
  const strip = () => document.getElementById("ticket-presence");
  const bar = () => document.getElementById("ticket-live");
  const announced = new Set();
  let seeded = false;
  let shownVersion = null;
  let pending = false;
  let refreshing = false;
  let lastRefresh = 0;
  const RETRY_MS = 20000; // a card left alone (in use) is tried again at most this often

  function announce() {
    const root = strip();
    const region = document.querySelector("[data-live-announce]");
    if (!root) return;
    const fresh = [];
    for (const el of root.querySelectorAll("[data-announce]")) {
      const key = el.dataset.announce;
      if (!key || announced.has(key)) continue;
      announced.add(key);
      if (seeded) fresh.push(el.textContent.replace(/\s+/g, " ").trim());
    }
    seeded = true;
    if (!region || !fresh.length) return;
    // Each sentence as a node of its own, added once: a screen reader reads what is added.
    for (const text of fresh) {
      const line = document.createElement("p");
      line.textContent = text;
      region.append(line);
    }
    while (region.childElementCount > 5) region.firstElementChild.remove();
  }

  function relativeTimes() {
    for (const time of document.querySelectorAll("#ticket-presence time[data-relative]")) {
      const seconds = Math.max(0, Math.round((Date.now() - Date.parse(time.dateTime)) / 1000));
      const format = seconds < 60 ? time.dataset.fmtSeconds : time.dataset.fmtMinutes;
      if (!format || seconds >= 3600) continue;
      const n = seconds < 60 ? seconds : Math.floor(seconds / 60);
      time.textContent = format.replace("{n}", String(n));
    }
  }

  // A card is busy when the user is in it: focus in a field, a value typed, a form open.
  function busy(el) {
    const active = document.activeElement;
    if (active && active !== document.body && el.contains(active)) return true;
    if (el.querySelector("details[open]")) return true;
    for (const field of el.querySelectorAll("input, textarea")) {
      if (field.type === "hidden") continue;
      if (["checkbox", "radio"].includes(field.type)) {
        if (field.checked !== field.defaultChecked) return true;
      } else if (field.value !== field.defaultValue) {
        return true;
      }
    }
    return false;
  }

  const notice = (el) => el.querySelector("[role=status], [role=alert]") !== null;

  // The same card, rendered again: CSRF tokens differ on every render.
  const normal = (el) => el.innerHTML.replace(/name="csrfmiddlewaretoken" value="[^"]*"/g, "");
  const cards = (root) => Array.from(root.querySelectorAll("main section[aria-labelledby]"));
  const header = (root) => root.querySelector("main h1")?.parentElement || null;

  // Each card remembers the ticket as it was when the card was drawn: a form posted from a
  // card the refresh left alone (the user was in it) says what that card showed.
  function stamp(card, live) {
    if (!live) return;
    card.dataset.seenState = live.dataset.ticketState;
    card.dataset.seenAssignee = live.dataset.ticketAssignee;
  }

  function swap(current, fresh) {
    current.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    document.dispatchEvent(new CustomEvent("htmx:load", { detail: { elt: fresh } }));
  }

  async function refreshPanels() {
    if (refreshing) return;
    refreshing = true;
    lastRefresh = Date.now();
    try {
      const response = await fetch(window.location.pathname, {
        headers: { "X-Desk-Background": "1" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      let skipped = false;
      const freshCards = cards(doc);
      const ids = (list) => list.map((c) => c.getAttribute("aria-labelledby")).join(" ");
      if (ids(freshCards) !== ids(cards(document))) {
        // A card came or went (e.g. approvals after a submit): the whole page, unless busy.
        const main = document.querySelector("main");
        if (busy(main)) {
          skipped = true;
        } else {
          window.location.reload();
          return;
        }
      }
      for (const fresh of freshCards) {
        const id = fresh.getAttribute("aria-labelledby");
        const current = document.querySelector(`main section[aria-labelledby="${CSS.escape(id)}"]`);
        if (!current || normal(current) === normal(fresh)) continue;
        if (id === "h-live") {
          // The claim bar: its data and claim controls; the presence strip and the live
          // region stay (they update themselves, and a new region would not be read).
          const body = current.querySelector(".card-body");
          const freshBody = fresh.querySelector(".card-body");
          const keep = strip();
          if (busy(body)) { skipped = true; continue; }
          current.dataset.ticketState = fresh.dataset.ticketState;
          current.dataset.ticketAssignee = fresh.dataset.ticketAssignee;
          freshBody.querySelector("#ticket-presence")?.replaceWith(keep);
          swap(body, freshBody);
          continue;
        }
        if (busy(current)) { skipped = true; continue; }
        // A card showing the answer to the user's own step (the wizard's notice) keeps it
        // until their next step: the page's render would drop what they are reading.
        if (notice(current) && !notice(fresh)) continue;
        stamp(fresh, doc.getElementById("ticket-live"));
        swap(current, fresh);
      }
      const head = header(document);
      const freshHead = header(doc);
      if (head && freshHead && head.innerHTML !== freshHead.innerHTML) swap(head, freshHead);
      // Cards left alone are tried again later (RETRY_MS), not on every poll.
      pending = skipped;
      shownVersion = strip()?.dataset.version ?? shownVersion;
    } finally {
      refreshing = false;
    }
  }

  function afterPoll() {
    const root = strip();
    if (!root) return;
    announce();
    relativeTimes();
    if (shownVersion === null) shownVersion = root.dataset.version;
    const retry = pending && Date.now() - lastRefresh > RETRY_MS;
    if (root.dataset.version !== shownVersion || retry) refreshPanels();
  }

  // What the page showed goes with every form it posts (tickets.live.stale_refusal): the
  // card's stamp, else the claim bar's.
  function seen(el) {
    const card = el && el.closest("section[data-seen-state]");
    if (card) return { seen_state: card.dataset.seenState, seen_assignee: card.dataset.seenAssignee };
    const live = bar();
    return live ? { seen_state: live.dataset.ticketState, seen_assignee: live.dataset.ticketAssignee } : {};
  }
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") return;
    for (const [name, value] of Object.entries(seen(form))) {
      let input = form.querySelector(`input[type=hidden][name=${name}]`);
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        form.append(input);
      }
      input.value = value;
    }
  }, true);
  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.verb === "post") Object.assign(event.detail.parameters, seen(event.detail.elt));
  });

  // Not while the tab is hidden (here rather than as an hx-trigger filter: htmx is
  // configured not to evaluate script, base.html).
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.target.id === "ticket-presence" && document.hidden) event.preventDefault();
  });
  document.addEventListener("htmx:afterSettle", afterPoll);
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.target.id === "ticket-presence" && pending && Date.now() - lastRefresh > RETRY_MS) {
      refreshPanels();
    }
  });
  document.addEventListener("DOMContentLoaded", () => {
    for (const card of cards(document)) if (card.id !== "ticket-live") stamp(card, bar());
    afterPoll();
    setInterval(relativeTimes, 5000);
  });
})();
