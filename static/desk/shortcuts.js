// The desk's keyboard (issue 14). Everywhere: "/" goes to the search box, "?" shows every
// shortcut of the page. On a ticket: n next step, c claim, m comment, u back to the queue.
// None fires while typing in a field or with Ctrl/Alt/Meta held. After each step of the
// ticket (a wizard step swapped in by htmx, or a button that reloads the page) focus goes
// to the next step, described by the step's result, not to <body>.
(() => {
  const FOCUS_KEY = "desk.focusAfterSubmit";
  const FIELD = "input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not([type=submit]):not([type=button]), textarea, select";

  const shown = (el) => Boolean(el) && !el.disabled && el.getClientRects().length > 0;
  const firstShown = (selector, root = document) =>
    Array.from(root.querySelectorAll(selector)).find(shown) || null;
  // A field that takes typed keys (a radio button or a checkbox does not).
  const TYPED = "textarea, select, input:not([type=radio]):not([type=checkbox]):not([type=button]):not([type=submit]):not([type=reset]):not([type=file])";
  const typing = () => {
    const el = document.activeElement;
    return Boolean(el) && (el.matches(TYPED) || el.isContentEditable);
  };
  const ticketPage = () => document.querySelector("[data-ticket-page]");
  const overlay = () => document.getElementById("shortcuts");

  // The search box: the global one ([data-shortcut-search]) first, else the page's own.
  function searchBox() {
    return (
      firstShown("[data-shortcut-search]") ||
      firstShown("input[type=search]") ||
      firstShown("[role=search] input:not([type=hidden]), [role=search] textarea")
    );
  }

  // The wizard's next step: a code waiting to be read out comes first; then the forms in their order (Send code,
  // the answers, the document), each by its first field or else its button.
  function wizardStep() {
    const panel = document.getElementById("verification-panel");
    if (!panel) return null;
    const code = firstShown(`[data-testid=otp-check] :is(${FIELD})`, panel);
    if (code) return code;
    for (const form of panel.querySelectorAll("form")) {
      const control = firstShown(FIELD, form) || firstShown("button[type=submit]", form);
      if (control) return control;
    }
    return null;
  }

  // What moves the ticket on now: the primary button of its actions (Start verification,
  // Mark verified, Submit, Apply, Claim…), an approver's Approve, the wizard while the
  // caller is being verified; else the step header, which says what the ticket waits for.
  function nextStep() {
    const page = ticketPage();
    if (!page) return null;
    const action = firstShown(".ticket-actions button.btn-primary, [data-shortcut=next]");
    if (action) return action;
    const approve = firstShown("[data-testid=approve]");
    if (approve) return approve;
    // Nobody's yet: claiming it is the step (nothing else can be done on it before).
    const claim = firstShown("[data-shortcut=claim]");
    if (claim) return claim;
    if (["new", "verifying"].includes(page.dataset.state)) {
      const step = wizardStep();
      if (step) return step;
    }
    return document.getElementById("ticket-step");
  }

  // `target` is described by `results` (a notice, the page's messages): a screen reader
  // reads the outcome of the last step with the control of the next one.
  function focusWith(target, results) {
    if (!target) return;
    const ids = [];
    results.forEach((result, index) => {
      if (!result.id) result.id = `step-result-${index}`;
      ids.push(result.id);
    });
    if (ids.length) {
      const kept = (target.getAttribute("aria-describedby") || "")
        .split(/\s+/)
        .filter((id) => id && !id.startsWith("step-result-") && id !== "verification-result");
      target.setAttribute("aria-describedby", [...ids, ...kept].join(" "));
    }
    target.focus();
  }

  // A wizard step answered by htmx: the panel was replaced, focus was on a removed button.
  // Only a step the user took moves focus: a panel refreshed by itself leaves it alone.
  let stepTaken = false;
  document.addEventListener("htmx:beforeRequest", (event) => {
    stepTaken = event.detail.elt.tagName === "FORM" && Boolean(event.detail.elt.closest("#verification-panel"));
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target;
    if (!stepTaken || !target || target.id !== "verification-panel") return;
    stepTaken = false;
    const panel = document.getElementById("verification-panel");
    const notice = panel && panel.querySelector("[data-testid=verification-notice]");
    if (notice && !notice.id) notice.id = "verification-result";
    focusWith(wizardStep() || nextStep(), notice ? [notice] : []);
  });

  // A form that reloads the ticket page (a move, Apply, a comment, the wizard's last step
  // whose answer reloads): once loaded again, focus goes to the next step.
  document.addEventListener(
    "submit",
    (event) => {
      if (!ticketPage() || event.target.closest("dialog")) return;
      sessionStorage.setItem(FOCUS_KEY, JSON.stringify({ path: location.pathname, at: Date.now() }));
    },
    true,
  );

  // An htmx form answered in place: no reload follows it (HX-Refresh: one does).
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    if (event.detail.elt.tagName === "FORM" && !(xhr && xhr.getResponseHeader("HX-Refresh"))) {
      sessionStorage.removeItem(FOCUS_KEY);
    }
  });

  function focusAfterReload() {
    let pending = null;
    try {
      pending = JSON.parse(sessionStorage.getItem(FOCUS_KEY) || "null");
    } catch {
      pending = null;
    }
    sessionStorage.removeItem(FOCUS_KEY);
    if (!pending || pending.path !== location.pathname || Date.now() - pending.at > 60_000) return;
    const messages = Array.from(document.querySelectorAll("main > .alert"));
    focusWith(nextStep(), messages);
  }

  function openOverlay() {
    const dialog = overlay();
    if (!dialog || dialog.open) return;
    for (const group of dialog.querySelectorAll("[data-shortcuts-when]")) {
      group.hidden = !document.querySelector(group.dataset.shortcutsWhen);
    }
    const keys = dialog.querySelector("[data-shortcuts-accesskeys]");
    if (keys) {
      const body = keys.querySelector("tbody");
      body.replaceChildren();
      for (const el of document.querySelectorAll("main [accesskey]")) {
        const row = body.insertRow();
        const key = document.createElement("th");
        key.scope = "row";
        const kbd = document.createElement("kbd");
        kbd.textContent = el.getAttribute("accesskey");
        key.append(kbd);
        row.append(key);
        row.insertCell().textContent = (el.getAttribute("aria-label") || el.textContent).trim();
      }
      keys.hidden = body.rows.length === 0;
    }
    dialog.returnTo = document.activeElement;
    dialog.showModal();
  }

  document.addEventListener("close", (event) => {
    const dialog = event.target;
    if (dialog !== overlay()) return;
    const back = dialog.returnTo;
    dialog.returnTo = null;
    // The event comes a moment after the dialog closed: focus goes back only if nothing
    // (a shortcut pressed meanwhile, the browser's own restoring) has put it somewhere.
    const lost = document.activeElement === document.body || dialog.contains(document.activeElement);
    if (back && back.isConnected && back !== document.body && lost) back.focus();
  }, true);

  document.addEventListener("click", (event) => {
    const dialog = overlay();
    if (event.target.closest("[data-shortcuts-open]")) {
      openOverlay();
    } else if (event.target.closest("[data-next-step]")) {
      event.preventDefault(); // the header's "Next: …" goes to that button, as n does
      focusWith(nextStep(), []);
    } else if (dialog && dialog.open && (event.target === dialog || event.target.closest("[data-shortcuts-close]"))) {
      dialog.close(); // the close button, or a click on the backdrop
    }
  });

  const TICKET_KEYS = {
    n: () => {
      const target = nextStep();
      if (target) focusWith(target, []);
      return Boolean(target);
    },
    c: () => {
      const claim = firstShown("[data-shortcut=claim], .ticket-page [data-claim]");
      if (claim) claim.click();
      return Boolean(claim);
    },
    m: () => {
      const box = firstShown("[data-shortcut=comment], .ticket-record form textarea");
      if (box) box.focus();
      return Boolean(box);
    },
    u: () => {
      location.assign(ticketPage().dataset.queueUrl);
      return true;
    },
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
    const dialog = overlay();
    if ((dialog && dialog.open) || typing()) return;
    if (event.key === "?") {
      if (dialog) {
        event.preventDefault();
        openOverlay();
      }
    } else if (event.key === "/") {
      const search = searchBox();
      if (search) {
        event.preventDefault();
        search.focus();
      }
    } else if (ticketPage() && !event.shiftKey && Object.hasOwn(TICKET_KEYS, event.key)) {
      if (TICKET_KEYS[event.key]()) event.preventDefault();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusAfterReload);
  } else {
    focusAfterReload();
  }
})();
