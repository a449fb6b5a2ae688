// "Show what I typed" (issue 14): the agent reads the new values back to the caller before
// saving, in clear, on their own screen. Built here from the fields as typed (textContent
// only, never HTML); nothing is sent anywhere, and after saving the desk shows the values
// masked. Hidden fields and unchecked choices are left out; password-type fields (a
// security answer) show as text while the read-back is on.
(() => {
  const form = document.querySelector("[data-readback-form]");
  if (!form) return;
  // Beside the form (the form is long): anywhere on the page.
  const toggle = document.querySelector("[data-readback-toggle]");
  const region = document.querySelector("[data-readback-region]");
  if (!toggle || !region) return;

  const labelOf = (field) => {
    const label = field.id && form.querySelector(`label[for="${CSS.escape(field.id)}"]`);
    const legend = field.closest("fieldset")?.querySelector("legend");
    const own = label ? label.textContent.trim() : field.name;
    return field.type === "radio" && legend ? legend.textContent.trim() : own;
  };

  const valueOf = (field) => {
    if (field.tagName === "SELECT") {
      const option = field.selectedOptions[0];
      return option && option.value ? option.textContent.trim() : "";
    }
    if (field.type === "checkbox" || field.type === "radio") {
      if (!field.checked) return "";
      return field.type === "radio" ? labelOf(field) : "✓";
    }
    if (field.type === "file") return field.files.length ? field.files[0].name : "";
    return field.value.trim();
  };

  const fields = () =>
    Array.from(form.querySelectorAll("input, select, textarea")).filter(
      (field) =>
        field.name && !["hidden", "submit", "button"].includes(field.type) &&
        field.name !== "csrfmiddlewaretoken",
    );

  function render() {
    region.replaceChildren();
    for (const field of fields()) {
      const value = valueOf(field);
      if (!value) continue;
      const term = document.createElement("dt");
      term.className = "small fw-normal text-body-secondary";
      term.textContent = labelOf(field);
      const shown = document.createElement("dd");
      // Large and monospaced: "l" and "1", "O" and "0" told apart while spelling it out.
      shown.className = "font-monospace fs-5 text-break mb-2";
      shown.textContent = field.type === "radio" ? field.parentElement.textContent.trim() : value;
      region.append(term, shown);
    }
    if (!region.children.length) {
      const none = document.createElement("dd");
      none.textContent = region.dataset.empty || "";
      region.append(none);
    }
  }

  function setOn(on) {
    toggle.setAttribute("aria-pressed", String(on));
    // Pressed looks pressed (dark), in full contrast either way.
    toggle.classList.toggle("btn-dark", on);
    toggle.classList.toggle("btn-outline-dark", !on);
    region.hidden = !on;
    for (const field of form.querySelectorAll('input[type="password"], input[data-readback-was-password]')) {
      field.type = on ? "text" : "password";
      field.toggleAttribute("data-readback-was-password", true);
    }
    if (on) {
      render();
      region.scrollIntoView({ block: "nearest" });
    }
  }

  toggle.addEventListener("click", () => setOn(toggle.getAttribute("aria-pressed") !== "true"));
  form.addEventListener("input", () => { if (!region.hidden) render(); });
  form.addEventListener("change", () => { if (!region.hidden) render(); });
  // Never leave a security answer as visible text behind: off again before the form goes.
  form.addEventListener("submit", () => setOn(false));
})();
