import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyEdgeChanges,
  applyNodeChanges,
  useNodesInitialized,
  useReactFlow,
} from "@xyflow/react";
import { makeApi } from "./api.js";
import { CanvasContext, useCanvas } from "./context.js";
import DryRun from "./DryRun.jsx";
import FlowNode from "./FlowNode.jsx";
import { NODE_KIND, edgeId, newNodeId, pruneEdges, toEdge, toFlow, toGraph } from "./graph.js";
import { useHistory } from "./history.js";
import Palette, { DRAG_TYPE } from "./Palette.jsx";
import SettingsPanel from "./SettingsPanel.jsx";
import { toInt } from "./widgets.jsx";

const NODE_COMPONENTS = { [NODE_KIND]: FlowNode };
const COUNTS_EVERY_MS = 3000;
// Half a node's size, so that a dropped node is centred under the pointer.
const DROP_OFFSET = { x: 110, y: 30 };
const NO_PATH = { nodes: new Set(), edges: new Set() };
// The minimap's colours, matching the category colours in canvas.css.
const CATEGORY_COLOURS = {
  trigger: "#1c7c54",
  action: "#5b3cc4",
  wait: "#9a6700",
  condition: "#0b6bcb",
  split: "#b5447a",
  exit: "#5f6b7a",
};
const CHANGES_THAT_EDIT = new Set(["position", "remove", "add", "replace"]);

function isTyping(target) {
  const tag = target?.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target?.isContentEditable;
}

// The flow's re-entry policy: once ever, every time, or once per so many days.
function FlowSettings({ value, disabled, onChange }) {
  const { strings } = useCanvas();
  return (
    <section className="fc-flow-settings" data-testid="flow-settings">
      <h2>{strings.flow_settings}</h2>
      <label htmlFor="flow-reentry">{strings.reentry}</label>
      <select
        id="flow-reentry"
        value={value.reentry}
        disabled={disabled}
        onChange={(event) => onChange({ ...value, reentry: event.target.value })}
      >
        {strings.reentry_choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
      {value.reentry === "once_per_days" && (
        <>
          <label htmlFor="flow-reentry-days">{strings.reentry_days}</label>
          <input
            id="flow-reentry-days"
            type="number"
            min="1"
            value={value.reentry_days ?? ""}
            disabled={disabled}
            onChange={(event) => onChange({ ...value, reentry_days: toInt(event.target.value) })}
          />
        </>
      )}
    </section>
  );
}

function Canvas({ config }) {
  const { strings, urls } = config;
  const readOnly = config.read_only;
  const api = useMemo(() => makeApi(config.csrf_token), [config.csrf_token]);
  const typesByName = useMemo(
    () => Object.fromEntries(config.node_types.map((item) => [item.type, item])),
    [config.node_types],
  );
  const initial = useMemo(() => toFlow(config.flow.graph), [config.flow.graph]);
  const [nodes, setNodes] = useState(initial.nodes);
  const [edges, setEdges] = useState(initial.edges);
  const [name, setName] = useState(config.flow.name);
  const [reentry, setReentry] = useState({
    reentry: config.flow.reentry,
    reentry_days: config.flow.reentry_days,
  });
  const [flowState, setFlowState] = useState({
    state: config.flow.state,
    label: config.flow.state_label,
    version: config.flow.version,
  });
  const [choices, setChoices] = useState(config.choices);
  const [selectedId, setSelectedId] = useState(null);
  const [problems, setProblems] = useState([]);
  const [counts, setCounts] = useState({});
  const [path, setPath] = useState(NO_PATH);
  const [notice, setNotice] = useState(null);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const { screenToFlowPosition, fitView } = useReactFlow();

  // The document (nodes and edges) as of this render, for the history.
  const documentRef = useRef({ nodes, edges });
  documentRef.current = { nodes, edges };
  const getDocument = useCallback(() => documentRef.current, []);
  const setDocument = useCallback((doc) => {
    setNodes(doc.nodes);
    setEdges(doc.edges);
    setDirty(true);
  }, []);
  const history = useHistory(getDocument, setDocument);

  // Fit the loaded graph once every node has its size. React Flow's own
  // fitView prop fitted before all nodes were measured, and on an empty
  // canvas it would move the view under the first dropped node.
  const nodesInitialized = useNodesInitialized();
  const fitted = useRef(initial.nodes.length === 0);
  useEffect(() => {
    if (nodesInitialized && !fitted.current) {
      fitted.current = true;
      fitView({ padding: 0.2, maxZoom: 1 });
    }
  }, [fitView, nodesInitialized]);

  // Editing ------------------------------------------------------------

  const onNodesChange = useCallback((changes) => {
    setNodes((current) => applyNodeChanges(changes, current));
    if (changes.some((change) => CHANGES_THAT_EDIT.has(change.type))) setDirty(true);
  }, []);

  const onEdgesChange = useCallback((changes) => {
    setEdges((current) => applyEdgeChanges(changes, current));
    if (changes.some((change) => CHANGES_THAT_EDIT.has(change.type))) setDirty(true);
  }, []);

  const onBeforeDelete = useCallback(
    async ({ nodes: removed }) => {
      history.remember();
      if (removed.some((node) => node.id === selectedId)) setSelectedId(null);
      return true;
    },
    [history, selectedId],
  );

  const isValidConnection = useCallback(
    (connection) => connection.source !== connection.target && connection.targetHandle === "in",
    [],
  );

  const onConnect = useCallback(
    (connection) => {
      history.remember();
      // One edge per branch: a new connection from a branch replaces the old.
      setEdges((current) => [
        ...current.filter(
          (edge) => !(edge.source === connection.source && edge.sourceHandle === connection.sourceHandle),
        ),
        toEdge(connection.source, connection.sourceHandle, connection.target),
      ]);
      setDirty(true);
    },
    [history],
  );

  const onDragOver = useCallback((event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
  }, []);

  const addNode = useCallback(
    (kind, screenPoint) => {
      const nodeType = typesByName[kind];
      if (!nodeType) return;
      const at = screenToFlowPosition(screenPoint);
      history.remember();
      const id = newNodeId(kind, documentRef.current.nodes);
      setNodes((current) => [
        ...current.map((node) => (node.selected ? { ...node, selected: false } : node)),
        {
          id,
          type: NODE_KIND,
          position: { x: at.x - DROP_OFFSET.x, y: at.y - DROP_OFFSET.y },
          data: { kind, settings: structuredClone(nodeType.new_settings ?? {}), label: "" },
          selected: true,
        },
      ]);
      setSelectedId(id);
      setDirty(true);
    },
    [history, screenToFlowPosition, typesByName],
  );

  const onDrop = useCallback(
    (event) => {
      event.preventDefault();
      addNode(event.dataTransfer.getData(DRAG_TYPE), { x: event.clientX, y: event.clientY });
    },
    [addNode],
  );

  const paneRef = useRef(null);
  const addInView = useCallback(
    (kind) => {
      const box = paneRef.current.getBoundingClientRect();
      // A little off the middle each time, so that added steps do not stack.
      const shift = (documentRef.current.nodes.length % 5) * 24;
      addNode(kind, { x: box.left + box.width / 2 + shift, y: box.top + box.height / 3 + shift });
    },
    [addNode],
  );

  const updateNode = useCallback((id, patch) => {
    setNodes((current) =>
      current.map((node) => (node.id === id ? { ...node, data: { ...node.data, ...patch } } : node)),
    );
    setDirty(true);
  }, []);

  const onSettings = useCallback(
    (id, settings, settingName) => {
      history.remember(`settings:${id}:${settingName}`);
      updateNode(id, { settings });
      // A renamed or removed split branch takes its edge with it.
      setEdges((current) =>
        pruneEdges(
          current,
          documentRef.current.nodes.map((node) =>
            node.id === id ? { ...node, data: { ...node.data, settings } } : node,
          ),
          typesByName,
        ),
      );
    },
    [history, typesByName, updateNode],
  );

  const onLabel = useCallback(
    (id, label) => {
      history.remember(`label:${id}`);
      updateNode(id, { label });
    },
    [history, updateNode],
  );

  const deleteNodes = useCallback(
    (ids) => {
      if (!ids.size) return;
      history.remember();
      setNodes((current) => current.filter((node) => !ids.has(node.id)));
      setEdges((current) => current.filter((edge) => !ids.has(edge.source) && !ids.has(edge.target)));
      if (ids.has(selectedId)) setSelectedId(null);
      setDirty(true);
    },
    [history, selectedId],
  );

  const deleteSelected = useCallback(() => {
    const ids = new Set(nodes.filter((node) => node.selected).map((node) => node.id));
    const edgeIds = new Set(edges.filter((edge) => edge.selected).map((edge) => edge.id));
    if (!ids.size && !edgeIds.size) return;
    history.remember();
    setNodes((current) => current.filter((node) => !ids.has(node.id)));
    setEdges((current) =>
      current.filter((edge) => !edgeIds.has(edge.id) && !ids.has(edge.source) && !ids.has(edge.target)),
    );
    if (ids.has(selectedId)) setSelectedId(null);
    setDirty(true);
  }, [edges, history, nodes, selectedId]);

  // Undo and redo from the keyboard, except while typing in a field.
  useEffect(() => {
    if (readOnly) return undefined;
    const onKey = (event) => {
      if (isTyping(event.target) || !(event.ctrlKey || event.metaKey)) return;
      const key = event.key.toLowerCase();
      if (key === "z" && !event.shiftKey) {
        event.preventDefault();
        history.undo();
      } else if ((key === "z" && event.shiftKey) || key === "y") {
        event.preventDefault();
        history.redo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [history, readOnly]);

  useEffect(() => {
    if (!dirty) return undefined;
    const warn = (event) => {
      event.preventDefault();
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  // Server -------------------------------------------------------------

  // Problems in the marketer's language, because the API responds in English.
  const check = useCallback(async () => {
    const result = await api.post(urls.check);
    setProblems(result.problems);
    return result;
  }, [api, urls.check]);

  const showFailure = useCallback(
    async (error) => {
      const body = error?.body;
      if (body?.problems?.length) {
        setNotice({ kind: "error", text: strings.problems });
        try {
          // A draft that could not be saved (no name, say) checks valid:
          // then the response's own problems are the ones to show.
          const result = await check();
          if (result.valid) setProblems(body.problems);
        } catch {
          setProblems(body.problems);
        }
      } else if (error?.status && error.status < 500 && typeof body?.detail === "string") {
        // NOTE: this detail comes from the English API, so it is not translated.
        setNotice({ kind: "error", text: body.detail });
      } else {
        setNotice({ kind: "error", text: strings.server_error });
      }
    },
    [check, strings],
  );

  const applyFlow = useCallback((flow) => {
    setFlowState({ state: flow.state, label: strings.states[flow.state] ?? flow.state, version: flow.version });
  }, [strings]);

  // NOTE: a save overwrites the draft without checking whether another tab
  // changed it since it was loaded; the last save wins.
  const saveDraft = useCallback(async () => {
    const graph = toGraph(documentRef.current.nodes, documentRef.current.edges);
    const flow = await api.patch(urls.flow, { name, graph, ...reentry });
    applyFlow(flow);
    setDirty(false);
    return flow;
  }, [api, applyFlow, name, reentry, urls.flow]);


  const run = useCallback(
    async (work) => {
      setBusy(true);
      try {
        await work();
      } catch (error) {
        showFailure(error);
      } finally {
        setBusy(false);
      }
    },
    [showFailure],
  );

  const onSave = () =>
    run(async () => {
      setNotice({ kind: "info", text: strings.saving });
      await saveDraft();
      const result = await check();
      setNotice(
        result.valid
          ? { kind: "ok", text: `${strings.saved} ${strings.valid}` }
          : { kind: "warn", text: `${strings.saved} ${strings.problems}` },
      );
    });

  const onActivate = () =>
    run(async () => {
      await saveDraft();
      const flow = await api.post(urls.activate);
      applyFlow(flow);
      setProblems([]);
      setNotice({ kind: "ok", text: strings.activated });
    });

  const onPause = () =>
    run(async () => {
      const flow = await api.post(urls.pause);
      applyFlow(flow);
      setNotice({ kind: "ok", text: strings.paused });
    });

  // Live numbers, polled while the page is visible.
  useEffect(() => {
    let alive = true;
    const poll = async () => {
      if (document.hidden) return;
      try {
        const result = await api.get(urls.counts);
        if (alive) setCounts(result.nodes ?? {});
      } catch {
        // The next poll tries again; a failed poll changes nothing shown.
      }
    };
    poll();
    const timer = setInterval(poll, COUNTS_EVERY_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [api, urls.counts]);

  const onDryRun = useCallback(
    async (contact) => {
      if (dirty && !readOnly) await saveDraft();
      const result = await api.post(urls.dry_run, { contact_id: contact.id });
      const steps = result.path ?? [];
      const pathNodes = new Set(steps.map((step) => step.node_id));
      const pathEdges = new Set();
      for (let index = 0; index + 1 < steps.length; index += 1) {
        pathEdges.add(edgeId(steps[index].node_id, steps[index].outcome, steps[index + 1].node_id));
      }
      setPath({ nodes: pathNodes, edges: pathEdges });
      return steps;
    },
    [api, dirty, readOnly, saveDraft, urls.dry_run],
  );

  const addMessage = useCallback((message) => {
    setChoices((current) => ({
      ...current,
      messages: [
        ...current.messages.filter((item) => item.id !== message.id),
        { id: message.id, label: message.name, channel: message.channel },
      ],
    }));
  }, []);

  // Rendering ----------------------------------------------------------

  const problemsByNode = useMemo(() => {
    const found = {};
    const known = new Set(nodes.map((node) => node.id));
    for (const problem of problems) {
      if (problem.node && known.has(problem.node)) (found[problem.node] ??= []).push(problem.message);
    }
    return found;
  }, [nodes, problems]);
  const generalProblems = problems.filter((problem) => !problem.node || !problemsByNode[problem.node]);

  const connected = useMemo(
    () => new Set(edges.map((edge) => `${edge.source}:${edge.sourceHandle}`)),
    [edges],
  );

  const shownEdges = useMemo(
    () =>
      edges.map((edge) => {
        const onPath = path.edges.has(edge.id);
        const branch = edge.sourceHandle;
        // The branch's name is on the node, beside the handle the edge leaves.
        return {
          ...edge,
          className: [onPath ? "on-path" : "", `branch-${branch}`].join(" "),
          animated: onPath,
          markerEnd: { type: MarkerType.ArrowClosed },
          data: { ...edge.data, onPath },
        };
      }),
    [edges, path],
  );

  const context = useMemo(
    () => ({
      api,
      urls,
      strings,
      nodeTypes: config.node_types,
      categories: config.categories,
      typesByName,
      choices,
      counts,
      problemsByNode,
      path,
      connected,
      addMessage,
    }),
    [api, urls, strings, config, typesByName, choices, counts, problemsByNode, path, connected, addMessage],
  );

  const selected = nodes.find((node) => node.id === selectedId);
  const state = flowState.state;
  const hasSelection = nodes.some((node) => node.selected) || edges.some((edge) => edge.selected);

  return (
    <CanvasContext.Provider value={context}>
      <div className={`fc${readOnly ? " is-read-only" : ""}`}>
        <header className="fc-toolbar" data-testid="toolbar">
          <a href={urls.index} className="fc-back">
            {strings.back_to_flows}
          </a>
          {readOnly ? (
            <h1 className="fc-title">{name}</h1>
          ) : (
            <input
              className="fc-name"
              type="text"
              value={name}
              aria-label={strings.flow_name}
              onChange={(event) => {
                setName(event.target.value);
                setDirty(true);
              }}
              data-testid="flow-name"
            />
          )}
          <span className={`fc-state state-${state}`} data-testid="flow-state" data-state={state}>
            {flowState.label}
          </span>
          <span className="fc-version" data-testid="flow-version">
            {readOnly
              ? strings.read_only.replace("%(number)s", String(config.viewing_version))
              : flowState.version
                ? `${strings.version} ${flowState.version}`
                : strings.no_version}
          </span>
          {!readOnly && (
            <div className="fc-tools">
              <button type="button" className="secondary small" onClick={history.undo} disabled={!history.canUndo} data-testid="undo" title="Ctrl+Z">
                {strings.undo}
              </button>
              <button type="button" className="secondary small" onClick={history.redo} disabled={!history.canRedo} data-testid="redo" title="Ctrl+Shift+Z">
                {strings.redo}
              </button>
              <button type="button" className="secondary small" onClick={deleteSelected} disabled={!hasSelection} data-testid="delete-selected">
                {strings.delete_selected}
              </button>
              <button type="button" className="secondary small" onClick={() => fitView({ padding: 0.2 })} data-testid="fit-view">
                {strings.fit_view}
              </button>
            </div>
          )}
          <div className="fc-commands">
            {dirty && !readOnly && <span className="fc-dirty" data-testid="unsaved">{strings.unsaved}</span>}
            <a href={urls.versions} className="button secondary small" data-testid="versions-link">
              {strings.versions}
            </a>
            {readOnly ? (
              <a href={urls.canvas} className="button small">
                {strings.back_to_draft}
              </a>
            ) : (
              <>
                <button type="button" className="secondary" onClick={onSave} disabled={busy} data-testid="save">
                  {strings.save}
                </button>
                {state === "active" ? (
                  <button type="button" className="secondary" onClick={onPause} disabled={busy} data-testid="pause">
                    {strings.pause}
                  </button>
                ) : (
                  <button type="button" onClick={onActivate} disabled={busy || state === "archived"} data-testid="activate">
                    {state === "paused" ? strings.resume : strings.activate}
                  </button>
                )}
              </>
            )}
          </div>
        </header>
        {notice && (
          <div className={`fc-notice notice-${notice.kind}`} role="status" data-testid="notice">
            {notice.text}
          </div>
        )}
        <div className="fc-body">
          {!readOnly && <Palette onAdd={addInView} />}
          <div className="fc-pane" ref={paneRef} dir="ltr" onDrop={readOnly ? undefined : onDrop} onDragOver={readOnly ? undefined : onDragOver} data-testid="pane">
            <ReactFlow
              nodes={nodes}
              edges={shownEdges}
              nodeTypes={NODE_COMPONENTS}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onBeforeDelete={onBeforeDelete}
              isValidConnection={isValidConnection}
              onNodeDragStart={() => history.remember()}
              onNodeClick={(_event, node) => setSelectedId(node.id)}
              onPaneClick={() => setSelectedId(null)}
              nodesDraggable={!readOnly}
              nodesConnectable={!readOnly}
              deleteKeyCode={readOnly ? null : ["Backspace", "Delete"]}
              minZoom={0.2}
              maxZoom={2}
            >
              <Background gap={20} />
              <MiniMap
                pannable
                zoomable
                nodeColor={(node) => CATEGORY_COLOURS[typesByName[node.data.kind]?.category] ?? "#ccc"}
              />
              <Controls showInteractive={false} />
              {nodes.length === 0 && !readOnly && <div className="fc-empty">{strings.empty_canvas}</div>}
            </ReactFlow>
          </div>
          <aside className="fc-side">
            {generalProblems.length > 0 && (
              <section className="fc-problems" data-testid="problems">
                <h2>{strings.problems}</h2>
                <ul className="errorlist">
                  {generalProblems.map((problem, index) => (
                    <li key={index}>{problem.message}</li>
                  ))}
                </ul>
              </section>
            )}
            {selected ? (
              <SettingsPanel
                key={selected.id}
                node={selected}
                readOnly={readOnly}
                onSettings={onSettings}
                onLabel={onLabel}
                onClose={() => setSelectedId(null)}
                onDelete={(id) => deleteNodes(new Set([id]))}
              />
            ) : (
              <>
                <FlowSettings
                  value={reentry}
                  disabled={readOnly}
                  onChange={(next) => {
                    setReentry(next);
                    setDirty(true);
                  }}
                />
                <p className="help">{strings.live_counts}</p>
                {/* The dry run walks the draft, so a published version offers none. */}
                {!readOnly && (
                  <DryRun onRun={onDryRun} onClear={() => setPath(NO_PATH)} active={path.nodes.size > 0} />
                )}
              </>
            )}
          </aside>
        </div>
      </div>
    </CanvasContext.Provider>
  );
}

export default function App({ config }) {
  return (
    <ReactFlowProvider>
      <Canvas config={config} />
    </ReactFlowProvider>
  );
}
