// Counted texts: the server hands each one's translated forms by CLDR
// plural category (automation/canvas_ui.py, counted_strings), and the
// browser's Intl.PluralRules picks the category of a count.

const rulesByLanguage = new Map();

function pluralRules() {
  const language = document.documentElement.lang || "he";
  if (!rulesByLanguage.has(language)) rulesByLanguage.set(language, new Intl.PluralRules(language));
  return rulesByLanguage.get(language);
}

export function counted(forms, count) {
  const number = Number(count);
  const form = Number.isFinite(number) ? (forms[pluralRules().select(number)] ?? forms.other) : forms.other;
  return form.replace("%(count)s", String(count));
}

// Fill "%(name)s" placeholders of a translated text.
export function fill(text, values) {
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
