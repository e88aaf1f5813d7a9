// Light progressive enhancement: every page works without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // "tout sélectionner": ticks every checkbox of the named column of its form.
  for (const all of document.querySelectorAll("[data-select-all]")) {
    const name = all.getAttribute("data-select-all");
    const boxes = () => all.form ? all.form.querySelectorAll(`input[type=checkbox][name="${name}"]:not(:disabled)`)
      : document.querySelectorAll(`input[type=checkbox][name="${name}"]:not(:disabled)`);
    all.addEventListener("change", () => { for (const b of boxes()) b.checked = all.checked; });
    // Unticking one line means "not all of them" any more.
    for (const b of boxes()) {
      b.addEventListener("change", () => { if (!b.checked) all.checked = false; });
    }
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

  // Ajouter une action: the preview follows the chosen action and recipients, computed by the
  // preview API (the same rules as the SMS that will be made).
  const preview = document.querySelector("[data-preview-url]");
  const form = preview && preview.closest("form");
  if (preview && form) {
    const token = document.querySelector('meta[name="csrf-token"]');
    let pending = null;
    const refresh = async () => {
      const action = form.querySelector("[name=action_id]");
      if (!action || !action.value) return;
      const body = {
        action_id: action.value,
        recipient_ids: [...form.querySelectorAll("[name=recipient_ids]:checked")].map((b) => b.value),
        transliterate: !!form.querySelector("[name=transliterate]:checked"),
      };
      if (pending) pending.abort();
      pending = new AbortController();
      try {
        const answer = await fetch(preview.getAttribute("data-preview-url"), {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": token ? token.content : "" },
          body: JSON.stringify(body),
          credentials: "same-origin",
          signal: pending.signal,
        });
        if (!answer.ok) return;
        const data = await answer.json();
        for (const slot of preview.querySelectorAll("[data-preview]")) {
          const key = slot.getAttribute("data-preview");
          if (key in data) slot.textContent = String(data[key]);
        }
        preview.setAttribute("data-updated", "1");
      } catch (_error) {
        // The server-side preview stays; a network hiccup must not break the form.
      }
    };
    for (const input of form.querySelectorAll("[data-preview-input]")) {
      input.addEventListener("change", refresh);
    }
  }

  // Historique des actions: each SMS's state follows the operator's answers while the page is
  // open (every 10 s, while an SMS is still on its way).
  const history = document.querySelector("[data-history-url]");
  const FINAL = new Set(["deleted", "cancelled", "delivered", "undelivered", "invalid", "failed", "sent_unconfirmed"]);
  if (history) {
    let rounds = 0;
    const follow = async () => {
      rounds += 1;
      const moving = [...history.querySelectorAll("li")].some((li) => !FINAL.has(li.dataset.state));
      if (!moving || rounds > 60 || document.hidden) return;
      try {
        const answer = await fetch(history.getAttribute("data-history-url"), { credentials: "same-origin" });
        if (answer.ok) {
          const data = await answer.json();
          history.replaceChildren(...data.history.map((h) => {
            const li = document.createElement("li");
            li.dataset.state = h.state;
            li.textContent = h.line + (h.reason_message ? " — " + h.reason_message : "");
            return li;
          }));
        }
      } catch (_error) {
        // The next round tries again.
      }
    };
    setInterval(follow, 10000);
  }
});
