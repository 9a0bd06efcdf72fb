import { useEffect } from "react";
import { Handle, Position, useUpdateNodeInternals } from "@xyflow/react";
import { branchesOf } from "./graph.js";
import { useCanvas } from "./context.js";
import { summarize } from "./summary.js";

const MUST_CONNECT = new Set(["trigger", "condition", "split"]);

function branchLabel(nodeType, settings, branch, strings) {
  if (nodeType.category === "split") {
    const item = (settings?.branches ?? []).find((entry) => String(entry.key) === branch);
    return item ? `${branch} · ${item.percent ?? "?"}%` : branch;
  }
  return strings.branches[branch] ?? branch;
}

export default function FlowNode({ id, data, selected }) {
  const { typesByName, choices, strings, counts, problemsByNode, path, connected } = useCanvas();
  const nodeType = typesByName[data.kind];
  const branches = nodeType ? branchesOf(nodeType, data.settings) : [];
  const branchKey = branches.join("\n");
  const updateNodeInternals = useUpdateNodeInternals();
  // React Flow measures handles once; a split that gains or renames a
  // branch must be measured again, or its new output cannot connect.
  useEffect(() => {
    updateNodeInternals(id);
  }, [id, branchKey, updateNodeInternals]);

  if (!nodeType) {
    return <div className="fnode fnode-unknown">{data.kind}</div>;
  }

  const live = counts[id];
  const problems = problemsByNode[id] ?? [];
  const onPath = path.nodes.has(id);
  const classes = [
    "fnode",
    `cat-${nodeType.category}`,
    selected ? "is-selected" : "",
    problems.length ? "has-problem" : "",
    onPath ? "on-path" : "",
    branches.length ? "" : "no-branches",
  ];
  const summary = summarize(nodeType, data.settings, choices, strings);

  return (
    <div
      className={classes.join(" ")}
      dir="rtl"
      data-testid={`node-${id}`}
      data-node-type={data.kind}
      data-on-path={onPath ? "true" : "false"}
    >
      {nodeType.category !== "trigger" && (
        <Handle type="target" position={Position.Top} id="in" className="fhandle fhandle-in" />
      )}
      <div className="fnode-kind">{nodeType.label}</div>
      {data.label && <div className="fnode-caption">{data.label}</div>}
      {summary && <div className="fnode-summary">{summary}</div>}
      <div className="fnode-counts" data-testid={`counts-${id}`}>
        <span title={strings.entered}>
          {strings.entered}: <b data-testid={`entered-${id}`}>{live?.entered ?? 0}</b>
        </span>
        {nodeType.category === "wait" || (live?.waiting ?? 0) > 0 ? (
          <span title={strings.waiting}>
            {strings.waiting}: <b data-testid={`waiting-${id}`}>{live?.waiting ?? 0}</b>
          </span>
        ) : null}
        {(live?.failed ?? 0) > 0 && (
          <span className="fnode-failed">
            {strings.failed}: <b>{live.failed}</b>
          </span>
        )}
      </div>
      {problems.length > 0 && (
        <ul className="fnode-problems" data-testid={`problems-${id}`}>
          {problems.map((message, index) => (
            <li key={index}>{message}</li>
          ))}
        </ul>
      )}
      {branches.length > 0 && (
        <div className="fnode-branches">
          {branches.map((branch, index) => {
            // The first branch ("yes") sits on the right, where Hebrew starts.
            const left = `${((branches.length - index) * 100) / (branches.length + 1)}%`;
            // An action's unconnected "next" ends the flow; other nodes
            // must lead somewhere on every branch.
            const open = MUST_CONNECT.has(nodeType.category) && !connected.has(`${id}:${branch}`);
            return (
              <div
                key={branch}
                className={`fnode-branch${open ? " is-open" : ""}`}
                style={{ left }}
                data-testid={`branch-${id}-${branch}`}
              >
                <span className="fnode-branch-label">
                  {branchLabel(nodeType, data.settings, branch, strings)}
                  {live?.branches?.[branch] ? ` (${live.branches[branch]})` : ""}
                </span>
                <Handle
                  type="source"
                  position={Position.Bottom}
                  id={branch}
                  className={`fhandle fhandle-out fhandle-${branch}`}
                  style={{ left: "50%" }}
                  data-testid={`handle-${id}-${branch}`}
                  title={open ? strings.unconnected : undefined}
                />
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
