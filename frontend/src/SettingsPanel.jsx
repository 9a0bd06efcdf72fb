// The side panel of the selected node, generated from its type's fields
// (automation/canvas_ui.py describes them from the settings JSON Schema).
import { useState } from "react";
import { useCanvas } from "./context.js";
import MessageComposer from "./MessageComposer.jsx";
import { counted } from "./plural.js";
import { isShown } from "./summary.js";
import {
  BranchesEditor,
  PickerSelect,
  RulesEditor,
  WeekdaysEditor,
  fieldOptions,
  toInt,
} from "./widgets.jsx";

// Conditions and triggers about email activity read email messages only.
const EMAIL_ONLY = new Set(["email_status", "email_activity"]);

function MessageField({ node, field, value, onChange, disabled }) {
  const { choices, strings, addMessage } = useCanvas();
  const [composing, setComposing] = useState(null);
  const channels = EMAIL_ONLY.has(node.data.kind) ? ["email"] : ["email", "sms", "whatsapp"];
  const options = choices.messages
    .filter((message) => channels.includes(message.channel))
    .map((message) => ({
      value: message.id,
      label: `${message.label} (${strings.channels[message.channel] ?? message.channel})`,
    }));
  const id = `setting-${field.name}`;
  return (
    <>
      <PickerSelect
        id={id}
        options={options}
        value={value}
        emptyLabel={strings.choose}
        disabled={disabled}
        onChange={(raw) => onChange(toInt(raw))}
        testid={id}
      />
      {!disabled && composing === null && (
        <div className="fc-row">
          <button
            type="button"
            className="secondary small"
            onClick={() => setComposing("new")}
            data-testid="message-new"
          >
            {strings.new_message}
          </button>
          {value ? (
            <button
              type="button"
              className="secondary small"
              onClick={() => setComposing("edit")}
              data-testid="message-edit"
            >
              {strings.edit_message}
            </button>
          ) : null}
        </div>
      )}
      {composing !== null && (
        <MessageComposer
          key={composing}
          messageId={composing === "edit" ? value : null}
          channels={channels}
          onCancel={() => setComposing(null)}
          onSaved={(message) => {
            addMessage(message);
            onChange(message.id);
            setComposing(null);
          }}
        />
      )}
    </>
  );
}

function FieldInput({ node, field, value, onChange, disabled }) {
  const { choices, strings } = useCanvas();
  const id = `setting-${field.name}`;
  switch (field.widget) {
    case "form":
      return (
        <PickerSelect
          id={id}
          options={choices.forms.map((item) => ({ value: item.id, label: item.label }))}
          value={value}
          emptyLabel={field.required ? strings.choose : strings.any_form}
          disabled={disabled}
          onChange={(raw) => onChange(toInt(raw))}
          testid={id}
        />
      );
    case "list":
      return (
        <PickerSelect
          id={id}
          options={choices.lists
            .filter((item) => !field.static_only || item.static)
            .map((item) => ({ value: item.id, label: item.label }))}
          value={value}
          emptyLabel={strings.choose}
          disabled={disabled}
          onChange={(raw) => onChange(toInt(raw))}
          testid={id}
        />
      );
    case "member":
      return (
        <PickerSelect
          id={id}
          options={choices.members.map((item) => ({ value: item.id, label: item.label }))}
          value={value}
          emptyLabel={strings.choose}
          disabled={disabled}
          onChange={(raw) => onChange(toInt(raw))}
          testid={id}
        />
      );
    case "field":
      return (
        <PickerSelect
          id={id}
          options={fieldOptions(choices, field.date_only)}
          value={value}
          emptyLabel={strings.choose}
          disabled={disabled}
          onChange={(raw) => onChange(raw || null)}
          testid={id}
        />
      );
    case "message":
      return <MessageField node={node} field={field} value={value} onChange={onChange} disabled={disabled} />;
    case "enum":
      return (
        <PickerSelect
          id={id}
          options={field.options}
          value={value}
          emptyLabel={strings.choose}
          disabled={disabled}
          onChange={(raw) => onChange(raw || null)}
          testid={id}
        />
      );
    case "number":
      return (
        <input
          id={id}
          type="number"
          min={field.minimum ?? undefined}
          value={value ?? ""}
          disabled={disabled}
          onChange={(event) => onChange(toInt(event.target.value))}
          data-testid={id}
        />
      );
    case "boolean":
      return (
        <input
          id={id}
          type="checkbox"
          checked={Boolean(value)}
          disabled={disabled}
          onChange={(event) => onChange(event.target.checked)}
          data-testid={id}
        />
      );
    case "date":
    case "time":
      return (
        <input
          id={id}
          type={field.widget}
          value={value ?? ""}
          disabled={disabled}
          onChange={(event) => onChange(event.target.value || null)}
          data-testid={id}
        />
      );
    case "weekdays":
      return <WeekdaysEditor value={value} onChange={onChange} disabled={disabled} />;
    case "branches":
      return <BranchesEditor value={value} onChange={onChange} disabled={disabled} />;
    case "rules":
      if (field.whole_conditions) {
        const conditions = value && typeof value === "object" ? value : { match: "all", rules: [] };
        return (
          <div>
            <select
              value={conditions.match ?? "all"}
              disabled={disabled}
              onChange={(event) => onChange({ ...conditions, match: event.target.value })}
            >
              <option value="all">{strings.match_all}</option>
              <option value="any">{strings.match_any}</option>
            </select>
            <RulesEditor
              idPrefix={id}
              value={conditions.rules}
              disabled={disabled}
              onChange={(rules) => onChange(rules.length ? { ...conditions, rules } : null)}
            />
          </div>
        );
      }
      return <RulesEditor idPrefix={id} value={value} onChange={onChange} disabled={disabled} />;
    default:
      return (
        <input
          id={id}
          type="text"
          value={value ?? ""}
          disabled={disabled}
          onChange={(event) => onChange(event.target.value === "" ? null : event.target.value)}
          data-testid={id}
        />
      );
  }
}

// Show why contacts failed (were parked) at this step, newest reasons
// first, with a button that runs the failed steps again.
function FailedContacts({ live, readOnly, busy, onRetry }) {
  const { strings } = useCanvas();
  return (
    <section className="fc-failed" data-testid="failed-reasons">
      <h3>{strings.failed_reasons}</h3>
      <ul className="errorlist">
        {(live.reasons ?? []).map((item, index) => (
          <li key={index}>
            {item.reason} ({counted(strings.counted.contacts, item.count)})
          </li>
        ))}
      </ul>
      {!readOnly && (
        <button type="button" className="secondary small" onClick={onRetry} disabled={busy} data-testid="retry-failed">
          {strings.retry_failed}
        </button>
      )}
    </section>
  );
}

export default function SettingsPanel({ node, readOnly, onSettings, onLabel, onClose, onDelete, onRetry, busy }) {
  const { typesByName, strings, problemsByNode, counts } = useCanvas();
  const live = counts[node.id];
  const nodeType = typesByName[node.data.kind];
  const settings = node.data.settings ?? {};
  const problems = problemsByNode[node.id] ?? [];
  const change = (name) => (value) => {
    const next = { ...settings };
    if (value === null || value === undefined) delete next[name];
    else next[name] = value;
    onSettings(node.id, next, name);
  };
  return (
    <section className="fc-settings" data-testid="settings-panel" aria-label={strings.settings}>
      <header className="fc-settings-head">
        <div>
          <h2>{nodeType?.label ?? node.data.kind}</h2>
          {nodeType?.description && <p className="help">{nodeType.description}</p>}
        </div>
        <button type="button" className="link" onClick={onClose} data-testid="settings-close">
          {strings.close}
        </button>
      </header>
      {problems.length > 0 && (
        <ul className="errorlist" data-testid="settings-problems">
          {problems.map((message, index) => (
            <li key={index}>{message}</li>
          ))}
        </ul>
      )}
      {(live?.failed ?? 0) > 0 && <FailedContacts live={live} readOnly={readOnly} busy={busy} onRetry={onRetry} />}
      <label htmlFor="setting-caption">{strings.step_label}</label>
      <input
        id="setting-caption"
        type="text"
        value={node.data.label ?? ""}
        disabled={readOnly}
        onChange={(event) => onLabel(node.id, event.target.value)}
        data-testid="setting-caption"
      />
      {(nodeType?.fields ?? [])
        .filter((field) => isShown(field, settings))
        .map((field) => (
          <div key={field.name} className={`fc-field fc-widget-${field.widget}`}>
            <label htmlFor={`setting-${field.name}`}>
              {field.label}
              {field.required ? " *" : ""}
            </label>
            <FieldInput
              node={node}
              field={field}
              value={settings[field.name]}
              onChange={change(field.name)}
              disabled={readOnly}
            />
          </div>
        ))}
      {!readOnly && (
        <div className="fc-row">
          <button type="button" className="danger small" onClick={() => onDelete(node.id)} data-testid="node-delete">
            {strings.delete}
          </button>
        </div>
      )}
    </section>
  );
}
