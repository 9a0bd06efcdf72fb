import { createContext, useContext } from "react";

// Shared canvas state that nodes read besides their own data: node types,
// pickers, strings, live counts, validation problems and the dry-run path.
export const CanvasContext = createContext(null);
export const useCanvas = () => useContext(CanvasContext);
