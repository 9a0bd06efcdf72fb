// Pick a contact and see the path it would take through the draft now.
import { useEffect, useState } from "react";
import { useCanvas } from "./context.js";

function contactName(contact) {
  const name = [contact.first_name, contact.last_name].filter(Boolean).join(" ");
  const reach = contact.email || contact.mobile || contact.phone || `#${contact.id}`;
  return name ? `${name} (${reach})` : reach;
}

export default function DryRun({ onRun, onClear, active }) {
  const { api, urls, strings, typesByName } = useCanvas();
  const describe = (step) => {
    const label = typesByName[step.type]?.label ?? step.type;
    if (step.outcome === "failed") return `${label}: ${strings.failed} (${step.detail?.error ?? ""})`;
    if (step.outcome === "exit") return label;
    return `${label}: ${strings.branches[step.outcome] ?? step.outcome}`;
  };
  const [query, setQuery] = useState("");
  const [found, setFound] = useState([]);
  const [searched, setSearched] = useState(false);
  const [chosen, setChosen] = useState(null);
  const [steps, setSteps] = useState([]);
  const [error, setError] = useState("");

  useEffect(() => {
    const text = query.trim();
    if (text.length < 2) {
      setFound([]);
      setSearched(false);
      return undefined;
    }
    const timer = setTimeout(async () => {
      try {
        const page = await api.get(`${urls.contacts}?search=${encodeURIComponent(text)}&page_size=8`);
        setFound(page.results ?? []);
        setSearched(true);
      } catch {
        setError(strings.server_error);
      }
    }, 250);
    return () => clearTimeout(timer);
  }, [api, query, strings.server_error, urls.contacts]);

  const run = async (contact) => {
    setError("");
    setChosen(contact);
    setFound([]);
    setQuery("");
    try {
      setSteps(await onRun(contact));
    } catch {
      setError(strings.server_error);
    }
  };

  return (
    <section className="fc-dryrun" data-testid="dry-run">
      <h2>{strings.dry_run}</h2>
      <p className="help">{strings.dry_run_help}</p>
      <input
        type="search"
        value={query}
        placeholder={strings.dry_run_search}
        aria-label={strings.dry_run_search}
        onChange={(event) => setQuery(event.target.value)}
        data-testid="dry-run-search"
      />
      {found.length > 0 && (
        <ul className="fc-dryrun-results" role="listbox">
          {found.map((contact) => (
            <li key={contact.id}>
              <button type="button" className="link" onClick={() => run(contact)} data-testid={`dry-run-contact-${contact.id}`}>
                {contactName(contact)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {searched && found.length === 0 && <p className="help">{strings.dry_run_empty}</p>}
      {chosen && steps.length === 0 && !error && (
        <p className="help" data-testid="dry-run-no-path">{strings.dry_run_no_path}</p>
      )}
      {active && chosen && (
        <p className="fc-dryrun-result" data-testid="dry-run-result">
          {strings.dry_run_result.replace("%(contact)s", contactName(chosen))}{" "}
          <button
            type="button"
            className="link"
            onClick={() => {
              setChosen(null);
              setSteps([]);
              onClear();
            }}
          >
            {strings.dry_run_clear}
          </button>
        </p>
      )}
      {active && chosen && steps.length > 0 && (
        <ol className="fc-dryrun-steps" data-testid="dry-run-steps">
          {steps.map((step, index) => (
            <li key={index}>{describe(step)}</li>
          ))}
        </ol>
      )}
      {error && <p className="field-error">{error}</p>}
    </section>
  );
}
