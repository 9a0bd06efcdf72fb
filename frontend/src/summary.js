// A short, readable line describing a node's settings, for the node's body.
import { counted } from "./plural.js";

function optionLabel(field, value) {
  const option = (field.options ?? []).find((item) => item.value === value);
  return option ? option.label : String(value);
}

function pickedLabel(field, value, choices, strings) {
  const pools = {
    form: choices.forms,
    list: choices.lists,
    message: choices.messages,
    member: choices.members,
    field: choices.fields,
  };
  const pool = pools[field.widget];
  if (!pool) return null;
  if (value === null || value === undefined || value === "") {
    return field.widget === "form" ? strings.any_form : null;
  }
  const found = pool.find((item) => String(item.id) === String(value));
  return found ? found.label : `#${value}`;
}

export function isShown(field, settings) {
  if (!field.shown_when) return true;
  return Object.entries(field.shown_when).every(([name, values]) =>
    values.includes(settings?.[name]),
  );
}

function durationOf(settings, strings) {
  const forms = strings.counted[settings.unit ?? "days"];
  if (!forms || settings.amount === undefined || settings.amount === null) return "";
  return counted(forms, settings.amount);
}

export function summarize(nodeType, settings, choices, strings) {
  if (!nodeType) return "";
  if (nodeType.type === "wait" && settings?.mode === "duration") {
    return durationOf(settings, strings);
  }
  const parts = [];
  for (const field of nodeType.fields) {
    if (!isShown(field, settings)) continue;
    const value = settings?.[field.name];
    if (["rules", "branches", "weekdays", "boolean"].includes(field.widget)) continue;
    const picked = pickedLabel(field, value, choices, strings);
    if (picked) {
      parts.push(picked);
    } else if (field.widget === "enum" && value) {
      parts.push(optionLabel(field, value));
    } else if (value !== undefined && value !== null && value !== "" && !field.widget.match(/^(form|list|message|member|field)$/)) {
      parts.push(String(value));
    }
  }
  if (nodeType.type === "contact_status") {
    const count = (settings?.rules ?? []).length;
    if (count) parts.push(strings.rules_count.replace("%(count)s", String(count)));
  }
  return parts.slice(0, 3).join(" · ");
}
