// The email block editor: add, edit, reorder (drag or buttons) and delete
// blocks, set a targeting rule on any block, and insert merge tags. The
// blocks live as JSON in the hidden "blocks" input that the form posts;
// the server validates them on save.
(function () {
  "use strict";

  const form = document.getElementById("message-form");
  if (!form) return;

  // Warn before leaving the page with edits that were not saved. The text
  // comes from the browser: it no longer shows a page's own wording.
  let dirty = false;
  const markDirty = () => {
    dirty = true;
  };
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  form.addEventListener("drop", markDirty);
  form.addEventListener("click", (event) => {
    if (event.target.closest("button[type=button]")) markDirty();
  });
  form.addEventListener("submit", () => {
    dirty = false;
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) event.preventDefault();
  });

  let lastFocused = null;
  form.addEventListener("focusin", (event) => {
    const target = event.target;
    if (target.matches("input[type=text], textarea")) lastFocused = target;
  });
  const picker = document.getElementById("merge-picker");
  if (picker) {
    picker.addEventListener("change", () => {
      const label = picker.value;
      picker.value = "";
      if (!label || !lastFocused) return;
      const tag = "[[" + label + "]]";
      const start = lastFocused.selectionStart ?? lastFocused.value.length;
      const end = lastFocused.selectionEnd ?? start;
      lastFocused.value = lastFocused.value.slice(0, start) + tag + lastFocused.value.slice(end);
      lastFocused.focus();
      lastFocused.setSelectionRange(start + tag.length, start + tag.length);
      lastFocused.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  const dataNode = document.getElementById("editor-data");
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const L = data.labels;
  const TOP_TYPES = ["heading", "text", "image", "button", "divider", "columns", "footer"];
  const COLUMN_TYPES = ["heading", "text", "image", "button", "divider"];
  const blocksInput = document.getElementById("blocks-input");
  const rulesInput = document.getElementById("subject-rules-input");
  const root = document.getElementById("blocks");
  const rulesRoot = document.getElementById("subject-rules");
  let blocks = JSON.parse(blocksInput.value || "[]");
  let subjectRules = JSON.parse(rulesInput.value || "[]");
  let dragged = null;

  function allIds(list, into) {
    for (const block of list) {
      into.add(block.id);
      for (const column of block.columns || []) allIds(column, into);
    }
    return into;
  }

  function newId() {
    const taken = allIds(blocks, new Set());
    let number = taken.size + 1;
    while (taken.has("b" + number)) number += 1;
    return "b" + number;
  }

  function sync() {
    blocksInput.value = JSON.stringify(blocks);
    if (rulesInput) rulesInput.value = JSON.stringify(subjectRules);
    // The preview listens for this to render the unsaved blocks.
    form.dispatchEvent(new CustomEvent("editor-changed", { bubbles: true }));
  }

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined) continue;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  function field(label, value, onInput, options) {
    const settings = options || {};
    const control = el(settings.multiline ? "textarea" : "input", {
      type: settings.multiline ? undefined : "text",
      "data-testid": settings.testid || "",
      "data-merge-target": "",
    });
    if (settings.multiline) control.rows = 4;
    if (settings.ltr) control.classList.add("ltr");
    control.value = value || "";
    control.addEventListener("input", () => {
      onInput(control.value);
      sync();
    });
    const wrapper = el("label", { class: "block-field" }, [el("span", { text: label }), control]);
    if (settings.help) wrapper.append(el("span", { class: "help", text: settings.help }));
    return wrapper;
  }

  function select(options, value, onChange, testid) {
    const control = el("select", { "data-testid": testid || "" });
    for (const [optionValue, label] of options) {
      const option = el("option", { value: String(optionValue), text: label });
      if (String(optionValue) === String(value)) option.selected = true;
      control.append(option);
    }
    control.addEventListener("change", () => onChange(control.value));
    return control;
  }

  function blankRule() {
    const first = data.fields[0];
    return { match: "all", rules: [{ type: "field", field: first.key, op: "equals", value: "" }] };
  }

  function ruleEditor(owner, onChange) {
    const rule = owner.rule && owner.rule.rules && owner.rule.rules[0];
    const box = el("div", { class: "rule-editor" });
    if (!rule) return box;
    const kind = rule.type === "list" ? rule.op : "field";
    box.append(
      select(
        [["field", L.field], ["member", L.memberOf], ["not_member", L.notMemberOf]],
        kind,
        (chosen) => {
          if (chosen === "field") owner.rule.rules[0] = blankRule().rules[0];
          else owner.rule.rules[0] = { type: "list", op: chosen, list_id: (data.lists[0] || {}).id };
          onChange();
        },
        "rule-kind",
      ),
    );
    if (rule.type === "list") {
      box.append(
        select(
          data.lists.map((item) => [item.id, item.name]),
          rule.list_id,
          (chosen) => {
            rule.list_id = Number(chosen);
            sync();
          },
          "rule-list",
        ),
      );
      return box;
    }
    box.append(
      select(
        data.fields.map((spec) => [spec.key, spec.label]),
        rule.field,
        (chosen) => {
          rule.field = chosen;
          sync();
        },
        "rule-field",
      ),
      select(
        data.operators.map((op) => [op, L[op] || op]),
        rule.op,
        (chosen) => {
          rule.op = chosen;
          onChange();
        },
        "rule-op",
      ),
    );
    if (rule.op !== "empty" && rule.op !== "not_empty") {
      const value = el("input", { type: "text", "data-testid": "rule-value", "aria-label": L.value });
      value.value = rule.value || "";
      value.addEventListener("input", () => {
        rule.value = value.value;
        sync();
      });
      box.append(value);
    }
    return box;
  }

  function targeting(block) {
    const toggle = el("input", { type: "checkbox", "data-testid": "rule-toggle" });
    toggle.checked = Boolean(block.rule && block.rule.rules && block.rule.rules.length);
    toggle.addEventListener("change", () => {
      if (toggle.checked) block.rule = blankRule();
      else delete block.rule;
      render();
    });
    return el("div", { class: "targeting" }, [
      el("label", { class: "inline-label" }, [toggle, document.createTextNode(" " + L.targetOnly)]),
      ruleEditor(block, render),
    ]);
  }

  function buttonAction(block) {
    const kind = block.action ? block.action.kind : "link";
    const box = el("div", { class: "button-action" });
    box.append(
      el("label", { class: "block-field" }, [
        el("span", { text: L.buttonDoes }),
        select(
          [["link", L.openLink], ["add_to_list", L.addToList], ["remove_from_list", L.removeFromList], ["set_field", L.setField]],
          kind,
          (chosen) => {
            if (chosen === "link") {
              delete block.action;
              delete block.thanks;
            } else if (chosen === "set_field") {
              block.action = { kind: chosen, field: data.fields[0].key, value: "" };
              delete block.url;
            } else {
              block.action = { kind: chosen, list_id: (data.staticLists[0] || {}).id };
              delete block.url;
            }
            render();
          },
          "button-kind",
        ),
      ]),
    );
    if (kind === "link") {
      box.append(field(L.url, block.url, (value) => (block.url = value), { ltr: true, testid: "block-url" }));
      return box;
    }
    if (kind === "set_field") {
      box.append(
        el("label", { class: "block-field" }, [
          el("span", { text: L.field }),
          select(data.fields.map((spec) => [spec.key, spec.label]), block.action.field, (chosen) => {
            block.action.field = chosen;
            sync();
          }),
        ]),
        field(L.value, block.action.value, (value) => (block.action.value = value)),
      );
    } else {
      box.append(
        el("label", { class: "block-field" }, [
          el("span", { text: L.list }),
          select(
            data.staticLists.map((item) => [item.id, item.name]),
            block.action.list_id,
            (chosen) => {
              block.action.list_id = Number(chosen);
              sync();
            },
            "button-list",
          ),
        ]),
      );
    }
    box.append(field(L.thanks, block.thanks, (value) => (block.thanks = value), { testid: "block-thanks" }));
    return box;
  }

  function blockBody(block, allowed) {
    const body = el("div", { class: "block-body" });
    const type = block.type;
    if (type === "heading") body.append(field(L.text, block.text, (value) => (block.text = value), { testid: "block-text" }));
    if (type === "text") {
      body.append(field(L.text, block.text, (value) => (block.text = value), { multiline: true, testid: "block-text", help: L.textHelp }));
    }
    if (type === "image") {
      body.append(
        field(L.imageUrl, block.src, (value) => (block.src = value), { ltr: true }),
        field(L.alt, block.alt, (value) => (block.alt = value)),
        field(L.url, block.url, (value) => (block.url = value), { ltr: true }),
      );
    }
    if (type === "button") {
      body.append(field(L.label, block.label, (value) => (block.label = value), { testid: "block-label" }), buttonAction(block));
    }
    if (type === "footer") body.append(field(L.footerText, block.text, (value) => (block.text = value), { multiline: true }));
    if (type === "columns") {
      const row = el("div", { class: "columns-editor" });
      block.columns.forEach((column, index) => {
        const holder = el("div", { class: "column-editor" }, [el("p", { class: "muted", text: L.column + " " + (index + 1) })]);
        renderList(column, holder, COLUMN_TYPES);
        row.append(holder);
      });
      body.append(row);
    }
    if (type !== "columns" || allowed === TOP_TYPES) body.append(targeting(block));
    return body;
  }

  function card(block, list, index, allowed) {
    const targeted = Boolean(block.rule && block.rule.rules && block.rule.rules.length);
    const node = el("div", {
      class: "block-card" + (targeted ? " targeted" : ""),
      draggable: "true",
      "data-type": block.type,
      "data-testid": "block-card",
      "data-block-id": block.id,
    });
    node.addEventListener("dragstart", (event) => {
      event.stopPropagation();
      dragged = { list, index };
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", block.id);
    });
    node.addEventListener("dragover", (event) => {
      if (dragged && dragged.list === list) event.preventDefault();
    });
    node.addEventListener("drop", (event) => {
      if (!dragged || dragged.list !== list) return;
      event.preventDefault();
      event.stopPropagation();
      const [moved] = list.splice(dragged.index, 1);
      list.splice(index, 0, moved);
      dragged = null;
      render();
    });
    // Inputs inside a draggable card would start a drag on text selection.
    node.addEventListener("mousedown", (event) => {
      node.draggable = !event.target.closest("input, textarea, select");
    });
    const header = el("div", { class: "block-header" }, [
      el("span", { class: "drag-handle", title: L.drag, "aria-hidden": "true", text: "⠿" }),
      el("strong", { text: L[block.type] || block.type }),
      targeted ? el("span", { class: "pill", "data-testid": "targeted-mark", text: L.targeted }) : null,
      el("span", { class: "spacer" }),
      el("button", { type: "button", class: "link", text: L.moveUp, onclick: () => move(list, index, -1) }),
      el("button", { type: "button", class: "link", text: L.moveDown, onclick: () => move(list, index, 1) }),
      el("button", {
        type: "button",
        class: "link danger-link",
        "data-testid": "block-delete",
        text: L.delete,
        onclick: () => {
          list.splice(index, 1);
          render();
        },
      }),
    ]);
    node.append(header, blockBody(block, allowed));
    return node;
  }

  function move(list, index, step) {
    const target = index + step;
    if (target < 0 || target >= list.length) return;
    const [moved] = list.splice(index, 1);
    list.splice(target, 0, moved);
    render();
  }

  function newBlock(type) {
    const block = { id: newId(), type };
    if (type === "columns") {
      block.columns = [
        [{ id: block.id + "a", type: "text", text: "…" }],
        [{ id: block.id + "b", type: "text", text: "…" }],
      ];
    }
    if (type === "heading" || type === "text") block.text = "";
    if (type === "button") {
      block.label = "";
      block.url = "https://";
    }
    if (type === "image") {
      block.src = "https://";
      block.alt = "";
    }
    return block;
  }

  function renderList(list, container, allowed) {
    const holder = el("div", { class: "block-list" });
    list.forEach((block, index) => holder.append(card(block, list, index, allowed)));
    const adder = el("div", { class: "block-adder" }, [el("span", { class: "muted", text: L.addBlock + ":" })]);
    for (const type of allowed) {
      adder.append(
        el("button", {
          type: "button",
          class: "secondary small",
          "data-testid": "add-" + type,
          text: L[type],
          onclick: () => {
            list.push(newBlock(type));
            render();
          },
        }),
      );
    }
    container.append(holder, adder);
  }

  function renderSubjectRules() {
    if (!rulesRoot) return;
    rulesRoot.replaceChildren();
    subjectRules.forEach((item, index) => {
      const row = el("div", { class: "subject-rule card" }, [
        el("strong", { text: L.subjectRule }),
        ruleEditor(item, renderSubjectRules),
        field(L.value, item.subject, (value) => (item.subject = value), { testid: "subject-rule-text" }),
        el("button", {
          type: "button",
          class: "link danger-link",
          text: L.delete,
          onclick: () => {
            subjectRules.splice(index, 1);
            renderSubjectRules();
            sync();
          },
        }),
      ]);
      rulesRoot.append(row);
    });
    rulesRoot.append(
      el("button", {
        type: "button",
        class: "link",
        "data-testid": "add-subject-rule",
        text: L.addSubjectRule,
        onclick: () => {
          subjectRules.push({ rule: blankRule(), subject: "" });
          renderSubjectRules();
          sync();
        },
      }),
    );
  }

  function render() {
    root.replaceChildren();
    renderList(blocks, root, TOP_TYPES);
    renderSubjectRules();
    sync();
  }

  form.addEventListener("submit", sync);
  render();
})();
