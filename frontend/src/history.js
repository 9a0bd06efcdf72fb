import { useCallback, useRef, useState } from "react";

const LIMIT = 100;
// Edits to the same setting within this time undo as one step, so that
// typing a word is not a dozen undo steps.
const MERGE_MS = 1200;

// Undo and redo over snapshots of the document ({nodes, edges}).
export function useHistory(getDocument, setDocument) {
  const past = useRef([]);
  const future = useRef([]);
  const last = useRef({ key: null, at: 0 });
  const [, setVersion] = useState(0);
  const bump = () => setVersion((value) => value + 1);

  const remember = useCallback(
    (key = null) => {
      const now = Date.now();
      if (key !== null && last.current.key === key && now - last.current.at < MERGE_MS) {
        last.current.at = now;
        return;
      }
      last.current = { key, at: now };
      past.current.push(getDocument());
      if (past.current.length > LIMIT) past.current.shift();
      future.current = [];
      bump();
    },
    [getDocument],
  );

  const undo = useCallback(() => {
    if (!past.current.length) return;
    future.current.push(getDocument());
    setDocument(past.current.pop());
    last.current = { key: null, at: 0 };
    bump();
  }, [getDocument, setDocument]);

  const redo = useCallback(() => {
    if (!future.current.length) return;
    past.current.push(getDocument());
    setDocument(future.current.pop());
    last.current = { key: null, at: 0 };
    bump();
  }, [getDocument, setDocument]);

  return {
    remember,
    undo,
    redo,
    canUndo: past.current.length > 0,
    canRedo: future.current.length > 0,
  };
}
