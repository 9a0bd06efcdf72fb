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
import { counted, fill } from "./plural.js";
import SettingsPanel from "./SettingsPanel.jsx";
import { toInt } from "./widgets.jsx";

const NODE_COMPONENTS = { [NODE_KIND]: FlowNode };
const COUNTS_EVERY_MS = 3000;
// Half a node's size, so that a dropped node is centred under the pointer.
const DROP_OFFSET = { x: 110, y: 30 };
// A new node's size before React Flow measures it, and the space kept
// between a step added from the palette and the steps already there.
const NEW_NODE_SIZE = { width: 220, height: 110 };
const NODE_GAP = 40;
// "Fit to screen" never enlarges a small flow past its natural size.
const FIT_VIEW = { padding: 0.2, maxZoom: 1 };
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

// Move a new node's top-left corner down until it overlaps no node.
// Each move takes it below a node it overlapped, so the loop ends.
function freeSpot(start, nodes) {
  const at = { ...start };
  let moved = true;
  while (moved) {
    moved = false;
    for (const node of nodes) {
      const width = node.measured?.width ?? NEW_NODE_SIZE.width;
      const height = node.measured?.height ?? NEW_NODE_SIZE.height;
      const overlaps =
        at.x < node.position.x + width + NODE_GAP &&
        node.position.x < at.x + NEW_NODE_SIZE.width + NODE_GAP &&
        at.y < node.position.y + height + NODE_GAP &&
        node.position.y < at.y + NEW_NODE_SIZE.height + NODE_GAP;
      if (overlaps) {
        at.y = node.position.y + height + NODE_GAP;
        moved = true;
      }
    }
  }
  return at;
}

function stepName(node, typesByName) {
  return node?.data.label || typesByName[node?.data.kind]?.label || node?.id;
}

// The draft's problems: those of the flow as a whole, then those of steps,
// each under the step's name, which selects the step when clicked.
function ProblemList({ problems, nodes, onSelect }) {
  const { strings, typesByName } = useCanvas();
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const general = problems.filter((problem) => !problem.node || !byId.has(problem.node));
  const ofSteps = problems.filter((problem) => problem.node && byId.has(problem.node));
  const stepCount = new Set(ofSteps.map((problem) => problem.node)).size;
  return (
    <>
      {general.length > 0 && (
        <>
          <h2>{strings.problems}</h2>
          <ul className="errorlist" data-testid="general-problems">
            {general.map((problem, index) => (
              <li key={index}>{problem.message}</li>
            ))}
          </ul>
        </>
      )}
      {stepCount > 0 && (
        <>
          <h2>{counted(strings.counted.steps_with_problems, stepCount)}</h2>
          <ul className="errorlist" data-testid="step-problems">
            {ofSteps.map((problem, index) => (
              <li key={index}>
                <button type="button" className="link" onClick={() => onSelect(problem.node)}>
                  {stepName(byId.get(problem.node), typesByName)}
                </button>
                {" – "}
                {problem.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

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
    unpublished: config.flow.unpublished_changes,
  });
  const [choices, setChoices] = useState(config.choices);
  const [selectedId, setSelectedId] = useState(null);
  const [problems, setProblems] = useState([]);
  const [counts, setCounts] = useState({});
  const [path, setPath] = useState(NO_PATH);
  const [notice, setNotice] = useState(null);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const { screenToFlowPosition, flowToScreenPosition, fitView, setCenter, getZoom } = useReactFlow();

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
      fitView(FIT_VIEW);
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
    (kind, position) => {
      const nodeType = typesByName[kind];
      if (!nodeType) return;
      history.remember();
      const id = newNodeId(kind, documentRef.current.nodes);
      setNodes((current) => [
        ...current.map((node) => (node.selected ? { ...node, selected: false } : node)),
        {
          id,
          type: NODE_KIND,
          position,
          data: { kind, settings: structuredClone(nodeType.new_settings ?? {}), label: "" },
          selected: true,
        },
      ]);
      setSelectedId(id);
      setDirty(true);
    },
    [history, typesByName],
  );

  const onDrop = useCallback(
    (event) => {
      event.preventDefault();
      const at = screenToFlowPosition({ x: event.clientX, y: event.clientY });
      addNode(event.dataTransfer.getData(DRAG_TYPE), { x: at.x - DROP_OFFSET.x, y: at.y - DROP_OFFSET.y });
    },
    [addNode, screenToFlowPosition],
  );

  const paneRef = useRef(null);
  const addInView = useCallback(
    (kind) => {
      const box = paneRef.current.getBoundingClientRect();
      const middle = screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 3 });
      const at = freeSpot(
        { x: middle.x - DROP_OFFSET.x, y: middle.y - DROP_OFFSET.y },
        documentRef.current.nodes,
      );
      addNode(kind, at);
      // A step placed below the view is brought into it.
      const bottom = flowToScreenPosition({ x: at.x, y: at.y + NEW_NODE_SIZE.height });
      if (bottom.y > box.bottom) {
        setCenter(at.x + NEW_NODE_SIZE.width / 2, at.y + NEW_NODE_SIZE.height / 2, { zoom: getZoom() });
      }
    },
    [addNode, flowToScreenPosition, getZoom, screenToFlowPosition, setCenter],
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
        setNotice({ kind: "error", problems: true });
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
    setFlowState({
      state: flow.state,
      label: strings.states[flow.state] ?? flow.state,
      version: flow.version,
      unpublished: flow.unpublished_changes,
    });
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
          : { kind: "warn", text: strings.saved, problems: true },
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

  // Resume runs the published version again; only Activate publishes.
  const onResume = () =>
    run(async () => {
      const flow = await api.post(urls.resume);
      applyFlow(flow);
      setNotice({ kind: "ok", text: strings.resumed });
    });

  const onPause = () =>
    run(async () => {
      const flow = await api.post(urls.pause);
      applyFlow(flow);
      setNotice({ kind: "ok", text: strings.paused });
    });

  // Live numbers, polled while the page is visible.
  const alive = useRef(true);
  const refreshCounts = useCallback(async () => {
    if (document.hidden) return;
    try {
      const result = await api.get(urls.counts);
      if (alive.current) setCounts(result.nodes ?? {});
    } catch {
      // The next poll tries again; a failed poll changes nothing shown.
    }
  }, [api, urls.counts]);
  useEffect(() => {
    alive.current = true;
    refreshCounts();
    const timer = setInterval(refreshCounts, COUNTS_EVERY_MS);
    return () => {
      alive.current = false;
      clearInterval(timer);
    };
  }, [refreshCounts]);

  const onRetry = () =>
    run(async () => {
      await api.post(urls.retry_parked);
      setNotice({ kind: "ok", text: strings.retried });
      await refreshCounts();
    });

  // The saved draft's problems, shown again when the page is opened.
  useEffect(() => {
    if (readOnly || initial.nodes.length === 0) return;
    check().catch(() => {
      // Problems show again at the next save or check.
    });
  }, [check, initial.nodes.length, readOnly]);

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

  const connected = useMemo(
    () => new Set(edges.map((edge) => `${edge.source}:${edge.sourceHandle}`)),
    [edges],
  );

  const ariaLabelConfig = useMemo(() => {
    const aria = strings.aria;
    return {
      ...Object.fromEntries(Object.entries(aria).filter(([key]) => key.includes("."))),
      "node.a11yDescription.ariaLiveMessage": ({ direction, x, y }) =>
        fill(aria["node.a11yDescription.ariaLiveMessage"], { direction: aria[direction] ?? direction, x, y }),
    };
  }, [strings.aria]);

  const nodesById = useMemo(() => new Map(nodes.map((node) => [node.id, node])), [nodes]);

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
          ariaLabel: fill(strings.aria.edge, {
            source: stepName(nodesById.get(edge.source), typesByName),
            target: stepName(nodesById.get(edge.target), typesByName),
          }),
        };
      }),
    [edges, nodesById, path, strings.aria.edge, typesByName],
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
  const changed = flowState.unpublished || dirty;
  const selectStep = (id) => {
    setNodes((current) => current.map((node) => ({ ...node, selected: node.id === id })));
    setSelectedId(id);
  };
  const hasSelection = nodes.some((node) => node.selected) || edges.some((edge) => edge.selected);

  return (
    <CanvasContext.Provider value={context}>
      <div className={`fc${readOnly ? " is-read-only" : ""}`}>
        <div className="fc-head">
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
              <button type="button" className="secondary small" onClick={() => fitView(FIT_VIEW)} data-testid="fit-view">
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
                {state === "paused" && (
                  <button type="button" onClick={onResume} disabled={busy} data-testid="resume" title={changed ? strings.unpublished : undefined}>
                    {strings.resume}
                  </button>
                )}
                {(state === "active" || state === "paused") && changed && (
                  <button type="button" className={state === "paused" ? "secondary" : undefined} onClick={onActivate} disabled={busy} data-testid="publish" title={strings.unpublished}>
                    {strings.publish}
                  </button>
                )}
                {state === "active" && (
                  <button type="button" className="secondary" onClick={onPause} disabled={busy} data-testid="pause">
                    {strings.pause}
                  </button>
                )}
                {(state === "draft" || state === "archived") && (
                  <button type="button" onClick={onActivate} disabled={busy || state === "archived"} data-testid="activate">
                    {strings.activate}
                  </button>
                )}
              </>
            )}
          </div>
        </header>
        {/* Notices float over the canvas, so that they never push it down. */}
        {notice && (
          <div className={`fc-notice notice-${notice.kind}`} role="status" data-testid="notice">
            <div className="fc-notice-text">
              {notice.text && <p>{notice.text}</p>}
              {notice.problems && <ProblemList problems={problems} nodes={nodes} onSelect={selectStep} />}
            </div>
            <button type="button" className="link" onClick={() => setNotice(null)} data-testid="notice-close">
              {strings.close}
            </button>
          </div>
        )}
        </div>
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
              ariaLabelConfig={ariaLabelConfig}
              // The "React Flow" attribution stays: proOptions.hideAttribution
              // is offered to React Flow Pro subscribers only.
            >
              <Background gap={20} />
              <MiniMap
                pannable
                zoomable
                nodeColor={(node) => CATEGORY_COLOURS[typesByName[node.data.kind]?.category] ?? "#ccc"}
              />
              <Controls showInteractive={false} fitViewOptions={FIT_VIEW} />
              {nodes.length === 0 && !readOnly && <div className="fc-empty">{strings.empty_canvas}</div>}
            </ReactFlow>
          </div>
          <aside className="fc-side">
            {problems.length > 0 && !readOnly && (
              <section className="fc-problems" data-testid="problems">
                <ProblemList problems={problems} nodes={nodes} onSelect={selectStep} />
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
                onRetry={onRetry}
                busy={busy}
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
                {state === "paused" && changed && (
                  <p className="help" data-testid="unpublished-help">
                    {strings.unpublished}
                  </p>
                )}
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
