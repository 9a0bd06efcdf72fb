// A small composer in the side panel: create a message, or edit the name,
// subject and text of one, without leaving the flow.
import { useEffect, useState } from "react";
import { useCanvas } from "./context.js";

function bodyOf(message) {
  if (message.channel !== "email") return { body: message.text ?? "", simple: true };
  const blocks = Array.isArray(message.blocks) ? message.blocks : [];
  const texts = blocks.filter((block) => block.type === "text");
  // Anything richer than one text block is left to the message editor.
  return { body: texts[0]?.text ?? "", simple: blocks.length <= 1 };
}

function errorLines(body) {
  if (!body || typeof body !== "object") return [];
  const lines = [];
  for (const [key, value] of Object.entries(body)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (typeof item === "string") lines.push(key === "detail" ? item : `${key}: ${item}`);
    }
  }
  return lines;
}

export default function MessageComposer({ messageId, channels, onSaved, onCancel }) {
  const { api, urls, strings } = useCanvas();
  const [form, setForm] = useState({
    channel: channels[0],
    name: "",
    subject: "",
    body: "",
    is_advertising: true,
  });
  const [simple, setSimple] = useState(true);
  const [errors, setErrors] = useState([]);
  const [busy, setBusy] = useState(false);
  const [loaded, setLoaded] = useState(messageId === null);

  useEffect(() => {
    if (messageId === null) return;
    let alive = true;
    api.get(`${urls.messages}${messageId}/`).then((message) => {
      if (!alive) return;
      const { body, simple: isSimple } = bodyOf(message);
      setForm({
        channel: message.channel,
        name: message.name,
        subject: message.subject ?? "",
        body,
        is_advertising: message.is_advertising,
      });
      setSimple(isSimple);
      setLoaded(true);
    });
    return () => {
      alive = false;
    };
  }, [api, messageId, urls.messages]);

  const set = (name) => (event) =>
    setForm({ ...form, [name]: event.target.type === "checkbox" ? event.target.checked : event.target.value });

  const save = async () => {
    const payload = { name: form.name, is_advertising: form.is_advertising };
    if (form.channel === "email") {
      payload.subject = form.subject;
      if (simple) payload.blocks = [{ id: "t1", type: "text", text: form.body }];
    } else {
      payload.text = form.body;
    }
    setBusy(true);
    setErrors([]);
    try {
      const saved =
        messageId === null
          ? await api.post(urls.messages, { ...payload, channel: form.channel })
          : await api.patch(`${urls.messages}${messageId}/`, payload);
      onSaved(saved);
    } catch (error) {
      setErrors(errorLines(error.body).length ? errorLines(error.body) : [strings.server_error]);
    } finally {
      setBusy(false);
    }
  };

  if (!loaded) return <p className="help">…</p>;
  return (
    <div className="fc-composer" data-testid="message-composer">
      <h3>{messageId === null ? strings.new_message : strings.edit_message}</h3>
      {messageId === null && channels.length > 1 && (
        <>
          <label htmlFor="composer-channel">{strings.channel}</label>
          <select id="composer-channel" value={form.channel} onChange={set("channel")}>
            {channels.map((channel) => (
              <option key={channel} value={channel}>
                {strings.channels[channel]}
              </option>
            ))}
          </select>
        </>
      )}
      <label htmlFor="composer-name">{strings.message_name}</label>
      <input id="composer-name" type="text" value={form.name} onChange={set("name")} />
      {form.channel === "email" && (
        <>
          <label htmlFor="composer-subject">{strings.subject}</label>
          <input id="composer-subject" type="text" value={form.subject} onChange={set("subject")} />
        </>
      )}
      {simple ? (
        <>
          <label htmlFor="composer-body">{strings.body}</label>
          <textarea id="composer-body" rows="4" value={form.body} onChange={set("body")} />
        </>
      ) : (
        <p className="help">{strings.rich_message}</p>
      )}
      <label className="fc-check">
        <input type="checkbox" checked={form.is_advertising} onChange={set("is_advertising")} />
        {strings.advertising}
      </label>
      {errors.length > 0 && (
        <ul className="errorlist" data-testid="composer-errors">
          {errors.map((line, index) => (
            <li key={index}>{line}</li>
          ))}
        </ul>
      )}
      <div className="fc-row">
        <button type="button" onClick={save} disabled={busy} data-testid="composer-save">
          {strings.save_message}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {strings.cancel}
        </button>
      </div>
    </div>
  );
}
