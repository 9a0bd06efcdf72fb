// Conversion between the flow graph JSON the API stores and React Flow's
// nodes and edges, plus the branch rules of each node type.

export const NODE_KIND = "step";

export function branchesOf(nodeType, settings) {
  if (!nodeType) return [];
  if (nodeType.category === "split") {
    const items = Array.isArray(settings?.branches) ? settings.branches : [];
    return items.map((item) => String(item?.key ?? "")).filter(Boolean);
  }
  return nodeType.branches;
}

export function edgeId(source, branch, target) {
  return `${source}:${branch}->${target}`;
}

export function toFlow(graph) {
  const nodes = (graph?.nodes ?? []).map((node, index) => ({
    id: String(node.id),
    type: NODE_KIND,
    position: node.position ?? { x: 80 + (index % 4) * 260, y: 60 + Math.floor(index / 4) * 200 },
    data: { kind: node.type, settings: node.settings ?? {}, label: node.label ?? "" },
  }));
  const edges = (graph?.edges ?? []).map((edge) => toEdge(edge.source, edge.branch || "next", edge.target));
  return { nodes, edges };
}

export function toEdge(source, branch, target) {
  return {
    id: edgeId(source, branch, target),
    source: String(source),
    target: String(target),
    sourceHandle: branch,
    targetHandle: "in",
    data: { branch },
  };
}

export function toGraph(nodes, edges) {
  return {
    nodes: nodes.map((node) => {
      const out = { id: node.id, type: node.data.kind, settings: node.data.settings ?? {} };
      if (node.data.label) out.label = node.data.label;
      out.position = { x: Math.round(node.position.x), y: Math.round(node.position.y) };
      return out;
    }),
    edges: edges.map((edge) => ({
      source: edge.source,
      target: edge.target,
      branch: edge.sourceHandle || "next",
    })),
  };
}

export function newNodeId(kind, nodes) {
  const usedIds = new Set(nodes.map((node) => node.id));
  let number = nodes.length + 1;
  while (usedIds.has(`${kind}_${number}`)) number += 1;
  return `${kind}_${number}`;
}

// Drop edges whose branch the source node no longer has (a renamed split
// branch) or whose ends are gone.
export function pruneEdges(edges, nodes, typesByName) {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  return edges.filter((edge) => {
    const source = byId.get(edge.source);
    if (!source || !byId.has(edge.target)) return false;
    const branches = branchesOf(typesByName[source.data.kind], source.data.settings);
    return branches.includes(edge.sourceHandle);
  });
}
