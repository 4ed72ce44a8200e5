// Errata's one script: small conveniences on top of pages that work without it.
// Keyboard triage on the issue list, copy buttons, confirmations, the "new issues" poll,
// select-all, and the theme picker. No inline handlers (the CSP forbids them).
"use strict";

(function () {
  // ---------- Confirmation for destructive buttons (button[data-confirm]) ----------
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.dataset && submitter.dataset.confirm) {
      if (!window.confirm(submitter.dataset.confirm)) {
        event.preventDefault();
      }
    }
  });

  // ---------- Copy buttons (button[data-copy] copies the text of #id) ----------
  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text);
    }
    return Promise.reject(new Error("clipboard unavailable"));
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      if (!source) return;
      var label = button.textContent;
      copyText(source.textContent.trim()).then(
        function () {
          button.textContent = "Copied";
          button.classList.add("copied");
        },
        function () {
          // Fall back to selecting the text so the user can copy it by hand.
          var range = document.createRange();
          range.selectNodeContents(source);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          button.textContent = "Press Ctrl+C";
        }
      );
      window.setTimeout(function () {
        button.textContent = label;
        button.classList.remove("copied");
      }, 1500);
    });
  });

  // ---------- Theme picker (sets the errata_theme cookie) ----------
  var picker = document.getElementById("theme");
  if (picker) {
    picker.closest(".theme-picker").hidden = false;
    picker.addEventListener("change", function () {
      var theme = picker.value;
      document.documentElement.dataset.theme = theme;
      document.cookie =
        "errata_theme=" + encodeURIComponent(theme) + "; path=/; max-age=31536000; samesite=lax";
    });
  }

  // ---------- Issue list ----------
  var table = document.getElementById("issues");
  var bulk = document.getElementById("bulk");

  function rows() {
    return table ? Array.prototype.slice.call(table.querySelectorAll("tr.issue")) : [];
  }

  // Select all.
  var selectAll = document.getElementById("select-all");
  function boxes() {
    return table ? Array.prototype.slice.call(table.querySelectorAll("input[name=issue]")) : [];
  }
  function syncSelectAll() {
    if (!selectAll) return;
    var all = boxes();
    var checked = all.filter(function (box) { return box.checked; }).length;
    selectAll.checked = all.length > 0 && checked === all.length;
    selectAll.indeterminate = checked > 0 && checked < all.length;
  }
  if (selectAll && table) {
    selectAll.hidden = false;
    selectAll.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = selectAll.checked; });
    });
    table.addEventListener("change", function (event) {
      if (event.target.name === "issue") syncSelectAll();
    });
  }

  // Keyboard triage: j/k move, x select, r resolve, i ignore, Enter/o open, / search.
  var focused = -1;
  function focusRow(index) {
    var all = rows();
    if (all.length === 0) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    if (all[focused]) all[focused].classList.remove("focused");
    focused = index;
    all[focused].classList.add("focused");
    all[focused].scrollIntoView({ block: "nearest" });
  }
  function focusedRow() {
    return rows()[focused] || null;
  }
  function submitBulk(action) {
    if (!bulk) return;
    var chosen = boxes().filter(function (box) { return box.checked; });
    if (chosen.length === 0) {
      var row = focusedRow();
      if (!row) return;
      row.querySelector("input[name=issue]").checked = true;
    }
    var button = bulk.querySelector("button[name=action][value=" + action + "]");
    if (!button) return;
    if (bulk.requestSubmit) {
      bulk.requestSubmit(button);
    } else {
      button.click();
    }
  }
  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  if (table) {
    var hint = document.querySelector(".kbd-hint");
    if (hint) hint.hidden = false;
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typing(event.target)) return;
      var row;
      switch (event.key) {
        case "j":
          focusRow(focused + 1);
          break;
        case "k":
          focusRow(focused < 0 ? 0 : focused - 1);
          break;
        case "x":
          row = focusedRow();
          if (!row) return;
          var box = row.querySelector("input[name=issue]");
          box.checked = !box.checked;
          syncSelectAll();
          break;
        case "r":
          submitBulk("resolve");
          break;
        case "i":
          submitBulk("ignore");
          break;
        case "o":
        case "Enter":
          row = focusedRow();
          if (!row || (event.key === "Enter" && event.target !== document.body)) return;
          var link = row.querySelector("a.issue-title");
          if (link) window.location.href = link.href;
          break;
        default:
          return;
      }
      event.preventDefault();
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || typing(event.target) || event.ctrlKey || event.metaKey) return;
    var search = document.getElementById("search");
    if (!search) return;
    event.preventDefault();
    search.focus();
    search.select();
  });

  // Sort changes apply at once.
  var sort = document.getElementById("sort");
  if (sort && sort.form) {
    sort.addEventListener("change", function () {
      sort.form.submit();
    });
  }

  // ---------- Dropdown menus (details.menu): one open at a time; Escape or a click
  // outside closes them ----------
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }
  document.addEventListener("click", function (event) {
    var inside = event.target.closest ? event.target.closest("details.menu") : null;
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.menu[open]");
    if (!open) return;
    open.open = false;
    var summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  // ---------- "N new issues" banner (polls data-poll-url every 15 s) ----------
  var pollSource = document.querySelector("[data-poll-url]");
  var banner = document.getElementById("new-issues");
  if (pollSource && banner && window.fetch) {
    var pollUrl = pollSource.dataset.pollUrl;
    var poll = function () {
      if (document.hidden) return;
      fetch(pollUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body || typeof body["new"] !== "number" || body["new"] < 1) return;
          var count = body["new"];
          banner.querySelector(".new-issues-count").textContent =
            count + (count === 1 ? " new issue" : " new issues") + " —";
          banner.hidden = false;
        })
        .catch(function () {});
    };
    window.setInterval(poll, 15000);
  }
})();
