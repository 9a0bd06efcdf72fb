import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./canvas.css";
import App from "./App.jsx";

// The Django template renders the configuration with json_script; see
// automation/views.py for its shape.
const config = JSON.parse(document.getElementById("canvas-config").textContent);
createRoot(document.getElementById("flow-canvas")).render(<App config={config} />);
