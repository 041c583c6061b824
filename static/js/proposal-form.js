// The 申报书 form: add and remove rows in place, live budget totals, summary length counter.
// Without this file the form still works: blank rows are served and "save and add" reloads.
(function () {
  "use strict";

  function renumber(table) {
    var name = table.getAttribute("data-rows");
    var rows = table.querySelectorAll("tbody tr[data-row]");
    rows.forEach(function (row, index) {
      row.querySelector(".row-number").textContent = String(index + 1);
      row.querySelectorAll("input, select, textarea").forEach(function (input) {
        ["name", "id"].forEach(function (attr) {
          var value = input.getAttribute(attr);
          if (value && value.indexOf(name + "-") === 0) {
            input.setAttribute(attr, value.replace(new RegExp("^" + name + "-\\d+-"), name + "-" + index + "-"));
          }
        });
      });
    });
  }

  function addRow(table) {
    var rows = table.querySelectorAll("tbody tr[data-row]");
    var last = rows[rows.length - 1];
    if (!last) { return; }
    var copy = last.cloneNode(true);
    copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
    copy.querySelectorAll(".error").forEach(function (error) { error.remove(); });
    last.parentNode.appendChild(copy);
    renumber(table);
    var first = copy.querySelector("input, select");
    if (first) { first.focus(); }
  }

  function yuanToFen(text) {
    var clean = String(text || "").replace(/[,¥￥\s]/g, "");
    if (!/^\d+(\.\d{1,2})?$/.test(clean)) { return 0; }
    var parts = clean.split(".");
    return parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
  }

  function formatFen(fen) {
    var yuan = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = ("0" + (fen % 100)).slice(-2);
    return "¥" + yuan + "." + cents;
  }

  function updateTotals(form) {
    var table = form.querySelector('table[data-rows="budget_lines"]');
    var target = form.querySelector("[data-budget-total]");
    if (!table || !target) { return; }
    var total = 0;
    table.querySelectorAll("tbody tr[data-row]").forEach(function (row) {
      var price = row.querySelector('input[name$="-unit_price"]');
      var quantity = row.querySelector('input[name$="-quantity"]');
      var qty = parseInt(quantity && quantity.value, 10);
      if (price && qty > 0) { total += yuanToFen(price.value) * qty; }
    });
    target.textContent = formatFen(total);
    var grand = form.querySelector("[data-total-budget]");
    var own = form.querySelector('input[name="self_funds"]');
    if (grand) { grand.textContent = formatFen(total + yuanToFen(own ? own.value : "0")); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.proposal-form");
    if (!form) { return; }
    form.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-row]");
      if (add) {
        event.preventDefault();
        addRow(form.querySelector('table[data-rows="' + add.getAttribute("data-add-row") + '"]'));
        return;
      }
      var remove = event.target.closest("[data-remove-row]");
      if (remove) {
        var row = remove.closest("tr");
        var table = row.closest("table");
        if (table.querySelectorAll("tbody tr[data-row]").length > 1) {
          row.remove();
        } else {
          row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        }
        renumber(table);
        updateTotals(form);
      }
    });
    form.addEventListener("input", function () { updateTotals(form); });
    updateTotals(form);

    form.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      var limit = parseInt(area.getAttribute("data-counter"), 10);
      var counter = document.createElement("p");
      counter.className = "hint";
      counter.setAttribute("aria-live", "polite");
      area.parentNode.appendChild(counter);
      function show() { counter.textContent = area.value.length + " / " + limit; }
      area.addEventListener("input", show);
      show();
    });
  });
})();
