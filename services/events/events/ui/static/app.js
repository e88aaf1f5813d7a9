// Light progressive enhancement: every page works without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // "tout sélectionner": ticks every checkbox of the named column of its form.
  for (const all of document.querySelectorAll("[data-select-all]")) {
    const name = all.getAttribute("data-select-all");
    const boxes = () => all.form ? all.form.querySelectorAll(`input[type=checkbox][name="${name}"]:not(:disabled)`)
      : document.querySelectorAll(`input[type=checkbox][name="${name}"]:not(:disabled)`);
    all.addEventListener("change", () => { for (const b of boxes()) b.checked = all.checked; });
  }

  // Fournisseur de services: what each field means for the chosen operator; the Conseil
  // d'Administration's approval is asked for a certified operator only.
  const provider = document.querySelector("select[data-meanings]");
  if (provider) {
    const ca = document.getElementById("ca-approval");
    const update = () => {
      const option = provider.selectedOptions[0];
      for (const hint of document.querySelectorAll("[data-meaning-of]")) {
        const field = hint.getAttribute("data-meaning-of");
        hint.textContent = option ? (option.dataset[field] || "") : "";
      }
      if (ca) ca.hidden = !option || option.value === "" || option.dataset.certified === "non";
    };
    provider.addEventListener("change", update);
    update();
  }

  // Ajouter une action: the preview follows the chosen action.
  const chooser = document.querySelector("select[data-preview-select]");
  if (chooser) {
    const show = () => {
      for (const item of document.querySelectorAll("[data-preview-for]")) {
        item.hidden = item.getAttribute("data-preview-for") !== chooser.value;
      }
    };
    chooser.addEventListener("change", show);
    show();
  }
});
