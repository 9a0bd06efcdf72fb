// Inputs of the side panel, one per widget kind that automation/canvas_ui.py names.
import { useCanvas } from "./context.js";

export function toInt(raw) {
  if (raw === "" || raw === null || raw === undefined) return null;
  const value = Number.parseInt(raw, 10);
  return Number.isNaN(value) ? null : value;
}

export function PickerSelect({ id, options, value, onChange, emptyLabel, disabled, testid }) {
  return (
    <select
      id={id}
      value={value === null || value === undefined ? "" : String(value)}
      onChange={(event) => onChange(event.target.value)}
      disabled={disabled}
      data-testid={testid}
    >
      <option value="">{emptyLabel}</option>
      {options.map((option) => (
        <option key={String(option.value)} value={String(option.value)}>
          {option.label}
        </option>
      ))}
    </select>
  );
}

export function fieldOptions(choices, dateOnly) {
  return choices.fields
    .filter((field) => !dateOnly || field.type === "date")
    .map((field) => ({ value: field.id, label: field.label }));
}

export function RulesEditor({ value, onChange, disabled, idPrefix }) {
  const { choices, strings } = useCanvas();
  const rules = Array.isArray(value) ? value : [];
  const update = (index, patch) =>
    onChange(rules.map((rule, at) => (at === index ? { ...rule, ...patch } : rule)));
  const remove = (index) => onChange(rules.filter((_, at) => at !== index));
  const add = () => onChange([...rules, { type: "field", field: "", op: "equals", value: "" }]);
  const fieldOps = ["equals", "not_equals", "contains", "not_contains", "empty", "not_empty", "gt", "lt", "between"];
  return (
    <div className="fc-rules" data-testid={`${idPrefix}-rules`}>
      {rules.map((rule, index) => (
        <fieldset key={index} className="fc-rule" data-testid={`${idPrefix}-rule-${index}`}>
          <select
            aria-label={strings.rule_kind}
            value={rule.type === "list" ? "list" : "field"}
            disabled={disabled}
            onChange={(event) =>
              update(
                index,
                event.target.value === "list"
                  ? { type: "list", op: "member", list_id: null, field: undefined, value: undefined }
                  : { type: "field", op: "equals", field: "", value: "", list_id: undefined },
              )
            }
          >
            <option value="field">{strings.rule_field}</option>
            <option value="list">{strings.rule_list}</option>
          </select>
          {rule.type === "list" ? (
            <>
              <PickerSelect
                options={choices.lists.map((item) => ({ value: item.id, label: item.label }))}
                value={rule.list_id}
                emptyLabel={strings.choose}
                disabled={disabled}
                onChange={(raw) => update(index, { list_id: toInt(raw) })}
                testid={`${idPrefix}-rule-${index}-list`}
              />
              <select
                value={rule.op}
                disabled={disabled}
                onChange={(event) => update(index, { op: event.target.value })}
              >
                {["member", "not_member"].map((op) => (
                  <option key={op} value={op}>
                    {strings.rule_ops[op]}
                  </option>
                ))}
              </select>
            </>
          ) : (
            <>
              <PickerSelect
                options={fieldOptions(choices, false)}
                value={rule.field}
                emptyLabel={strings.choose}
                disabled={disabled}
                onChange={(raw) => update(index, { field: raw })}
                testid={`${idPrefix}-rule-${index}-field`}
              />
              <select
                value={rule.op}
                disabled={disabled}
                onChange={(event) => update(index, { op: event.target.value })}
                data-testid={`${idPrefix}-rule-${index}-op`}
              >
                {fieldOps.map((op) => (
                  <option key={op} value={op}>
                    {strings.rule_ops[op]}
                  </option>
                ))}
              </select>
              {!["empty", "not_empty"].includes(rule.op) && (
                <input
                  type="text"
                  aria-label={strings.rule_value}
                  value={rule.value ?? ""}
                  disabled={disabled}
                  onChange={(event) => update(index, { value: event.target.value })}
                  data-testid={`${idPrefix}-rule-${index}-value`}
                />
              )}
              {rule.op === "between" && (
                <input
                  type="text"
                  aria-label={strings.rule_value2}
                  placeholder={strings.rule_value2}
                  value={rule.value2 ?? ""}
                  disabled={disabled}
                  onChange={(event) => update(index, { value2: event.target.value })}
                />
              )}
            </>
          )}
          {!disabled && (
            <button type="button" className="link" onClick={() => remove(index)}>
              {strings.remove}
            </button>
          )}
        </fieldset>
      ))}
      {!disabled && (
        <button type="button" className="secondary small" onClick={add} data-testid={`${idPrefix}-add-rule`}>
          {strings.add_rule}
        </button>
      )}
    </div>
  );
}

export function BranchesEditor({ value, onChange, disabled }) {
  const { strings } = useCanvas();
  const items = Array.isArray(value) ? value : [];
  const total = items.reduce((sum, item) => sum + (Number.parseInt(item.percent, 10) || 0), 0);
  const update = (index, patch) =>
    onChange(items.map((item, at) => (at === index ? { ...item, ...patch } : item)));
  const nextKey = () => {
    const usedKeys = new Set(items.map((item) => item.key));
    for (const letter of "abcdefghij") if (!usedKeys.has(letter)) return letter;
    return `b${items.length + 1}`;
  };
  return (
    <div className="fc-branches">
      {items.map((item, index) => (
        <div key={index} className="fc-branch-row">
          <input
            type="text"
            aria-label={strings.branch_key}
            value={item.key ?? ""}
            disabled={disabled}
            onChange={(event) => update(index, { key: event.target.value.trim() })}
          />
          <input
            type="number"
            min="1"
            max="99"
            aria-label={strings.percent}
            value={item.percent ?? ""}
            disabled={disabled}
            onChange={(event) => update(index, { percent: toInt(event.target.value) })}
            data-testid={`split-percent-${index}`}
          />
          <span>%</span>
          {!disabled && items.length > 2 && (
            <button type="button" className="link" onClick={() => onChange(items.filter((_, at) => at !== index))}>
              {strings.remove}
            </button>
          )}
        </div>
      ))}
      <p className={total === 100 ? "help is-complete" : "field-error"} data-testid="split-total">
        {strings.percent_total.replace("%(total)s", String(total)).replace("%%", "%")}
      </p>
      {!disabled && items.length < 5 && (
        <button
          type="button"
          className="secondary small"
          onClick={() => onChange([...items, { key: nextKey(), percent: 10 }])}
          data-testid="split-add-branch"
        >
          {strings.add_branch}
        </button>
      )}
    </div>
  );
}

export function WeekdaysEditor({ value, onChange, disabled }) {
  const { strings } = useCanvas();
  const chosen = new Set(Array.isArray(value) ? value : []);
  return (
    <div className="fc-weekdays">
      {strings.weekdays.map((label, day) => (
        <label key={day} className="fc-check">
          <input
            type="checkbox"
            checked={chosen.has(day)}
            disabled={disabled}
            onChange={(event) => {
              const next = new Set(chosen);
              if (event.target.checked) next.add(day);
              else next.delete(day);
              onChange([...next].sort());
            }}
          />
          {label}
        </label>
      ))}
    </div>
  );
}
