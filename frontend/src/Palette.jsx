import { useCanvas } from "./context.js";

export const DRAG_TYPE = "application/x-smoove-node";

export default function Palette({ onAdd }) {
  const { nodeTypes, categories, strings } = useCanvas();
  const onDragStart = (event, type) => {
    event.dataTransfer.setData(DRAG_TYPE, type);
    event.dataTransfer.setData("text/plain", type);
    event.dataTransfer.effectAllowed = "move";
  };
  return (
    <aside className="fc-palette" aria-label={strings.palette} data-testid="palette">
      <h2>{strings.palette}</h2>
      <p className="help">{strings.palette_help}</p>
      {categories.map((category) => {
        const items = nodeTypes.filter((item) => item.category === category.key);
        if (!items.length) return null;
        return (
          <section key={category.key} className={`fc-palette-group cat-${category.key}`}>
            <h3>{category.label}</h3>
            <ul>
              {items.map((item) => (
                <li
                  key={item.type}
                  className={`fc-palette-item cat-${item.category}`}
                  draggable
                  onDragStart={(event) => onDragStart(event, item.type)}
                  // Enter or a click adds the step near the middle of the
                  // view, below any step there, for those who do not drag.
                  role="button"
                  tabIndex={0}
                  onClick={() => onAdd(item.type)}
                  onKeyDown={(event) => {
                    if (event.key === "Enter" || event.key === " ") {
                      event.preventDefault();
                      onAdd(item.type);
                    }
                  }}
                  title={item.description || item.label}
                  data-testid={`palette-${item.type}`}
                >
                  {item.label}
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </aside>
  );
}
