/* Coaching form: type-ahead over /api/v1/agents. Without this script the form still works:
   the "Search" button re-renders the page with the matches as checkboxes. */
(function () {
  "use strict";
  var form = document.querySelector("[data-coaching-form]");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("[data-agent-search]");
  var results = form.querySelector("[data-agent-results]");
  var chosen = form.querySelector("[data-chosen]");
  var status = form.querySelector("[data-agent-status]");
  var noJs = form.querySelector("[data-nojs]");
  if (!input || !results || !chosen) { return; }
  if (noJs) { noJs.hidden = true; }
  var timer = null;
  var lastQuery = "";
  var lang = document.documentElement.lang || "fr";
  var fr = lang.indexOf("fr") === 0;

  function chosenIds() {
    return Array.prototype.map.call(
      chosen.querySelectorAll("input[name=agents]"), function (box) { return box.value; });
  }

  function say(text) { if (status) { status.textContent = text; } }

  function clearResults() { results.textContent = ""; }

  function add(agent) {
    if (chosenIds().indexOf(String(agent.id)) === -1) {
      var li = document.createElement("li");
      var label = document.createElement("label");
      label.className = "chip";
      var box = document.createElement("input");
      box.type = "checkbox"; box.name = "agents"; box.value = agent.id; box.checked = true;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + agent.name));
      li.appendChild(label);
      chosen.appendChild(li);
    }
    input.value = "";
    lastQuery = "";
    clearResults();
    say((fr ? "Ajouté : " : "Added: ") + agent.name);
    input.blur();
  }

  function render(items) {
    clearResults();
    var ids = chosenIds();
    items.filter(function (a) { return ids.indexOf(String(a.id)) === -1; }).forEach(function (a) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "result";
      var name = a.first_name + " " + a.last_name;
      var strong = document.createElement("strong");
      strong.textContent = name;
      var meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = " " + (a.unit ? a.unit.name + " · " : "") + a.hr_id;
      button.appendChild(strong);
      button.appendChild(meta);
      button.addEventListener("click", function () { add({ id: a.id, name: name }); });
      li.appendChild(button);
      results.appendChild(li);
    });
    var n = results.children.length;
    say(n === 0 ? (fr ? "Aucun agent trouvé." : "No agent found.")
      : n + (fr ? (n > 1 ? " agents trouvés." : " agent trouvé.") : (n > 1 ? " agents found." : " agent found.")));
  }

  function search() {
    var query = input.value.trim();
    if (query === lastQuery) { return; }
    lastQuery = query;
    if (query.length < 2) { clearResults(); say(""); return; }
    var url = "/api/v1/agents?page_size=8&search=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (body) { if (input.value.trim() === query) { render(body.results || []); } })
      .catch(function () { say(fr ? "Recherche indisponible." : "Search unavailable."); });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      // Enter picks the only match; it never submits the form half-filled.
      event.preventDefault();
      var buttons = results.querySelectorAll("button.result");
      if (buttons.length === 1) { buttons[0].click(); } else { search(); }
    } else if (event.key === "Escape") {
      clearResults();
    }
  });
})();
