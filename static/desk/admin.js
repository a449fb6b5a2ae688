// The admin's autocomplete boxes (select2) take their accessible name from the selected
// value only (aria-labelledby the selection), so an empty one has no name (WCAG 4.1.2).
// Each gets the field's name first — its <label>'s text, or the aria-label a tabular
// inline's row puts on the select — then the selection: "User, Grace Hopper".
function labelAutocompletes(root) {
  for (const select of root.querySelectorAll("select.admin-autocomplete[id]")) {
    const box = select.parentElement.querySelector(".select2-selection[role=combobox]");
    const label = document.querySelector(`label[for="${select.id}"]`);
    const name = select.getAttribute("aria-label") || label?.textContent.replace(/:\s*$/, "");
    const nameId = `${select.id}-name`;
    if (!box || !name || document.getElementById(nameId)) continue;
    const hidden = document.createElement("span");
    hidden.id = nameId;
    hidden.className = "desk-visually-hidden";
    hidden.textContent = name.trim();
    select.after(hidden);
    const selection = box.getAttribute("aria-labelledby") || "";
    box.setAttribute("aria-labelledby", `${nameId} ${selection}`.trim());
    // The selection inside (role="textbox") needs the name too.
    document.getElementById(selection)?.setAttribute("aria-labelledby", nameId);
  }
}

// select2 builds its boxes from jQuery's ready handlers (asynchronous) and again for each
// inline row added: label whatever box appears, whenever it appears.
labelAutocompletes(document);
new MutationObserver(() => labelAutocompletes(document)).observe(document.body, {
  childList: true,
  subtree: true,
});
