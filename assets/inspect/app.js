/**
 * The page of `lifeline inspect`: a live view of every lifeline connection that running agents publish,
 * fed by the server over the WebSocket ws://HOST/live (messages: hello, agents, entries, actor,
 * actor.snapshot, actor.event; see the contract in the server's inspect module).
 *
 * Structure (one ES module, no build step, no framework; ELK comes as the global `ELK` from /assets/elk.js):
 * - Model: `model` holds the mode, the server clock offset, the agent list (replaced by each `agents`
 *   message), each connection's journal (`model.logs`, deduped by seq, the newest 1000) and the XState actors.
 * - Views: the DOM is keyed and updated in place: one agent view per <section class="agent">, one
 *   connection view per <section class="connection">, one actor view per <section class="actor">.
 *   Nothing is rebuilt wholesale, so the diagrams and countdowns do not flicker.
 * - Diagram: `layoutDiagram` turns a statechart graph into an ELK graph and lays it out, `renderDiagram`
 *   draws the layout as SVG, `lightDiagram` marks the active states. The lifecycle graph is laid out once;
 *   every connection gets a clone of its SVG.
 * - Renderers: `renderFacts`, `renderTimeline` (state segments and outages), `renderLog`, `renderActor`.
 * - Feed: `connectFeed` opens the socket (again every second while it is down) and hands each message to
 *   `handleMessage`. `tick` runs every 100 ms: header clock, retry countdowns, "for 3.2 s"; once a second
 *   it also redraws the timelines and the "started … ago" lines.
 *
 * Data from the feed comes from other processes: it is only ever written with textContent and attributes,
 * never parsed as HTML.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';
const LOG_KEEP = 1000;
const LOG_SHOWN = 200;
const ACTOR_EVENTS = 100;
const EMPTY_TEXT =
  'No running agent publishes its connections. Start one with control: true, LIFELINE_CONTROL=1, or lifeline bridge.';

/** Fonts of the diagram text: must match app.css, they size the nodes and edge labels for ELK. */
const NODE_FONT = '600 12px system-ui, sans-serif';
const LABEL_FONT = '11px system-ui, sans-serif';
const LABEL_LINE = 13;

/** Layered options, set on the root and on every compound state (ELK reads them per graph level). */
const LAYERED_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeLabels.placement': 'CENTER',
  // Depth first from the initial dots: transitions read left to right, starting at the initial state.
  'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
  'elk.layered.spacing.nodeNodeBetweenLayers': '24',
  'elk.layered.spacing.edgeNodeBetweenLayers': '8',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '6',
  'elk.spacing.nodeNode': '20',
  'elk.spacing.edgeNode': '10',
  'elk.spacing.edgeEdge': '7',
  'elk.spacing.edgeLabel': '2',
};

const ROOT_OPTIONS = {
  ...LAYERED_OPTIONS,
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.json.edgeCoords': 'ROOT',
  'elk.json.shapeCoords': 'ROOT',
  'elk.padding': '[top=10,left=10,bottom=10,right=10]',
};

/** The dot that points at an initial state goes first in its container. */
const FIRST_LAYER = { 'elk.layered.layering.layerConstraint': 'FIRST' };

const model = {
  /** 'live' | 'replay' | null before the first hello. */
  mode: null,
  source: undefined,
  /** Server clock minus page clock, in ms. */
  offset: 0,
  lifecycleKey: '',
  /** Promise of the laid-out lifecycle SVG, cloned for every connection. */
  lifecycleSvg: null,
  agents: [],
  /** `${agent}\0${connection}` -> { entries: JournalEntry[] (by seq), version } */
  logs: new Map(),
  /** sessionId -> { actor, events: { t, event }[] } */
  actors: new Map(),
};

const views = { agents: new Map(), actors: new Map(), actorsSection: null };

// ---------------------------------------------------------------------------------------------------------
// DOM helpers and formatting

const byId = (id) => document.getElementById(id);

/** An HTML element: `props` are attributes, except `class` and `text` (textContent). */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else el.setAttribute(key, String(value));
  }
  el.append(...children);
  return el;
}

/** An SVG element with attributes. */
function s(tag, attrs = {}) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

function clockTime(t) {
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function logTime(t) {
  return `${clockTime(t)}.${pad(new Date(t).getMilliseconds(), 3)}`;
}

/** A duration: "2.1 s", "3 min 4 s", "2 h 5 min". */
function seconds(ms) {
  const sec = Math.max(0, ms) / 1000;
  if (sec < 60) return `${sec.toFixed(1)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${Math.floor(sec % 60)} s`;
  return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
}

/** A short time: "12 ms", "0.4 ms". */
function millis(ms) {
  return `${Number.isInteger(ms) || ms >= 10 ? Math.round(ms) : ms.toFixed(1)} ms`;
}

/** A configured delay: "500 ms", "2.0 s". */
function delayText(ms) {
  return ms < 1000 ? `${ms} ms` : seconds(ms);
}

function agoText(ms) {
  if (ms < 60_000) return `${Math.max(0, Math.floor(ms / 1000))} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}

const errorText = (error) => (error ? `${error.code}: ${error.message}` : '-');
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const orDash = (value) => (value === undefined || value === null || value === '' ? '-' : String(value));

/** The server's clock. */
const now = () => Date.now() + model.offset;

/** The right end of the timelines: the clock when live, the last journal entry when replaying. */
function timelineEnd() {
  if (model.mode !== 'replay') return now();
  let end = 0;
  for (const log of model.logs.values()) for (const entry of log.entries) end = Math.max(end, entry.t);
  return end || now();
}

// ---------------------------------------------------------------------------------------------------------
// Diagram: graph -> ELK -> SVG

const measureContext = document.createElement('canvas').getContext('2d');

function textWidth(text, font) {
  measureContext.font = font;
  return Math.ceil(measureContext.measureText(text).width);
}

/**
 * Adds a transition label to the lines of an arrow's label, keeping it narrow (ELK gives each label room
 * between the layers): a guard goes on a line of its own, under its event unless the event is already there.
 * Labels may carry several transitions, separated by '\n' or Mermaid's '<br/>'.
 */
function addLabelLines(lines, label) {
  for (const part of (label ?? '').split(/\n|<br\s*\/?>/)) {
    const [, event, guard] = part.trim().match(/^(.*?)\s*(\[[^\]]*\])?$/) ?? [];
    if (event && !(guard && lines.includes(event))) lines.push(event);
    if (guard && !lines.includes(guard)) lines.push(guard);
  }
  return lines;
}

/** One arrow per source/target pair: parallel transitions (e.g. two guards) share it and its label. */
function mergeParallelEdges(edges) {
  const merged = new Map();
  for (const edge of edges) {
    const key = `${edge.source}\u0000${edge.target}`;
    const known = merged.get(key);
    if (known) {
      addLabelLines(known.lines, edge.label);
      known.labels.push(edge.label);
    } else {
      const lines = addLabelLines([], edge.label);
      merged.set(key, { id: edge.id, source: edge.source, target: edge.target, lines, labels: [edge.label] });
    }
  }
  return [...merged.values()];
}

function elkNode(node, isContainer) {
  const labelWidth = textWidth(node.label, NODE_FONT);
  if (isContainer) {
    return {
      id: `n:${node.id}`,
      children: [],
      layoutOptions: {
        ...LAYERED_OPTIONS,
        'elk.padding': '[top=32,left=14,bottom=14,right=14]',
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${labelWidth + 28}, 60)`,
      },
    };
  }
  if (node.kind === 'history') return { id: `n:${node.id}`, width: 28, height: 28 };
  const extra = node.kind === 'final' ? 8 : 0;
  return { id: `n:${node.id}`, width: Math.max(78, labelWidth + 30 + extra), height: 34 + extra };
}

function elkEdge(edge) {
  const labels = edge.lines.length
    ? [
        {
          id: `l:${edge.id}`,
          text: edge.lines.join('\n'),
          width: Math.max(...edge.lines.map((line) => textWidth(line, LABEL_FONT))) + 8,
          height: edge.lines.length * LABEL_LINE + 3,
        },
      ]
    : [];
  return { id: `e:${edge.id}`, sources: [`n:${edge.source}`], targets: [`n:${edge.target}`], labels };
}

/** The ELK graph of a statechart graph: compound states hold their children, initial states get a dot. */
function toElkGraph(graph) {
  const ids = new Set(graph.nodes.map((node) => node.id));
  const parents = new Set(graph.nodes.map((node) => node.parent).filter((parent) => ids.has(parent)));
  const root = { id: 'root', layoutOptions: ROOT_OPTIONS, children: [], edges: [] };
  const elkNodes = new Map(graph.nodes.map((node) => [node.id, elkNode(node, parents.has(node.id))]));
  for (const node of graph.nodes) {
    const container = ids.has(node.parent) ? elkNodes.get(node.parent) : root;
    if (node.initial) {
      const dot = { id: `i:${node.id}`, width: 10, height: 10, layoutOptions: FIRST_LAYER };
      container.children.push(dot);
      root.edges.push({ id: `ie:${node.id}`, sources: [dot.id], targets: [`n:${node.id}`] });
    }
    container.children.push(elkNodes.get(node.id));
  }
  const edges = mergeParallelEdges(graph.edges.filter((e) => ids.has(e.source) && ids.has(e.target)));
  root.edges.push(...edges.map(elkEdge));
  return { root, edges: new Map(edges.map((edge) => [`e:${edge.id}`, edge])) };
}

/** Lays a statechart graph out with ELK; resolves to what `renderDiagram` draws. */
async function layoutDiagram(graph) {
  const { root, edges } = toElkGraph(graph);
  const layout = await new globalThis.ELK().layout(root);
  return { layout, nodes: new Map(graph.nodes.map((node) => [`n:${node.id}`, node])), edges };
}

/** An SVG path through points, with rounded bends. */
function roundedPath(points, radius = 6) {
  let d = `M ${points[0].x} ${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const [a, b, c] = [points[i - 1], points[i], points[i + 1]];
    const r = Math.min(radius, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(c.x - b.x, c.y - b.y) / 2);
    const before = towards(b, a, r);
    const after = towards(b, c, r);
    d += ` L ${before.x} ${before.y} Q ${b.x} ${b.y} ${after.x} ${after.y}`;
  }
  const last = points[points.length - 1];
  return `${d} L ${last.x} ${last.y}`;
}

function towards(from, to, distance) {
  const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  return {
    x: from.x + ((to.x - from.x) * distance) / length,
    y: from.y + ((to.y - from.y) * distance) / length,
  };
}

function drawState(elk, node, isContainer) {
  const classes = ['state', `kind-${node.kind}`];
  if (isContainer) classes.push('container');
  const g = s('g', {
    class: classes.join(' '),
    'data-state-id': node.id,
    transform: `translate(${elk.x} ${elk.y})`,
  });
  const title = s('title');
  title.textContent = node.id;
  g.append(title);
  if (node.kind === 'history' && !isContainer) {
    g.append(s('circle', { class: 'shape', cx: elk.width / 2, cy: elk.height / 2, r: elk.width / 2 }));
    g.append(label(elk.width / 2, elk.height / 2, 'H', 'middle'));
    return g;
  }
  g.append(s('rect', { class: 'shape', width: elk.width, height: elk.height, rx: isContainer ? 10 : 8 }));
  if (node.kind === 'final') {
    g.append(s('rect', { class: 'inner', x: 4, y: 4, width: elk.width - 8, height: elk.height - 8, rx: 5 }));
  }
  g.append(
    isContainer
      ? label(12, 19, node.label, 'start')
      : label(elk.width / 2, elk.height / 2, node.label, 'middle'),
  );
  return g;
}

function label(x, y, text, anchor) {
  const el = s('text', { x, y, 'text-anchor': anchor, 'dominant-baseline': 'central' });
  el.textContent = text;
  return el;
}

function drawEdge(elk, edge) {
  const g = s('g', { class: 'edge', 'data-source': edge?.source ?? '', 'data-target': edge?.target ?? '' });
  if (!edge) g.classList.add('initial');
  for (const section of elk.sections ?? []) {
    const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
    g.append(s('path', { d: roundedPath(points), 'marker-end': edge ? 'url(#arrow)' : 'url(#arrow-hot)' }));
  }
  return g;
}

function drawEdgeLabel(elk, edge) {
  const g = s('g', { class: 'edge-label', 'data-source': edge.source, 'data-target': edge.target });
  const title = s('title');
  title.textContent = edge.labels.filter(Boolean).join('\n');
  g.append(title);
  for (const box of elk.labels ?? []) {
    g.append(s('rect', { x: box.x, y: box.y, width: box.width, height: box.height, rx: 3 }));
    edge.lines.forEach((line, i) => {
      const text = s('text', { x: box.x + box.width / 2, y: box.y + 2 + LABEL_LINE * (i + 0.5) });
      text.setAttribute('text-anchor', 'middle');
      text.setAttribute('dominant-baseline', 'central');
      text.textContent = line;
      g.append(text);
    });
  }
  return g;
}

/** Draws a laid-out diagram as an SVG element (states, then arrows, then arrow labels on top). */
function renderDiagram({ layout, nodes, edges }, extraClass = '') {
  const width = Math.ceil(layout.width);
  const height = Math.ceil(layout.height);
  const root = s('svg', {
    class: `diagram ${extraClass}`.trim(),
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
  });
  const [stateLayer, edgeLayer, labelLayer] = [s('g'), s('g'), s('g')];
  const elkEdges = [...(layout.edges ?? [])];
  const walk = (children) => {
    for (const child of children ?? []) {
      const node = nodes.get(child.id);
      if (node) stateLayer.append(drawState(child, node, (child.children ?? []).length > 0));
      else stateLayer.append(s('circle', { class: 'initial-dot', cx: child.x + 5, cy: child.y + 5, r: 5 }));
      elkEdges.push(...(child.edges ?? []));
      walk(child.children);
    }
  };
  walk(layout.children);
  for (const elk of elkEdges) {
    const edge = edges.get(elk.id);
    edgeLayer.append(drawEdge(elk, edge));
    if (edge?.lines.length) labelLayer.append(drawEdgeLabel(elk, edge));
  }
  root.append(stateLayer, edgeLayer, labelLayer);
  return root;
}

/** Lights the active states (and the arrows leaving them); dims the rest. */
function lightDiagram(svg, active) {
  for (const g of svg.querySelectorAll('.state')) g.classList.toggle('active', active.has(g.dataset.stateId));
  for (const g of svg.querySelectorAll('.edge[data-source], .edge-label')) {
    g.classList.toggle('hot', active.has(g.dataset.source));
  }
  for (const path of svg.querySelectorAll('.edge:not(.initial) path')) {
    path.setAttribute(
      'marker-end',
      path.parentNode.classList.contains('hot') ? 'url(#arrow-hot)' : 'url(#arrow)',
    );
  }
}

/** The active state ids of an XState value: 'a' -> a; {a: 'b'} -> a, a.b; parallel: every key. */
function activeStates(value, prefix = '', into = new Set()) {
  const join = (key) => (prefix ? `${prefix}.${key}` : key);
  if (typeof value === 'string') into.add(join(value));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      into.add(join(key));
      activeStates(child, join(key), into);
    }
  }
  return into;
}

function diagramFailed(host, error) {
  host.replaceChildren(h('p', { class: 'muted', text: `diagram unavailable: ${error?.message ?? error}` }));
}

// ---------------------------------------------------------------------------------------------------------
// Header and empty state

function renderHeader() {
  const mode = byId('mode');
  setText(mode, model.mode === 'replay' ? `replay ${model.source ?? ''}`.trim() : (model.mode ?? '-'));
  mode.dataset.mode = model.mode ?? '';
}

function setFeed(connected) {
  const feed = byId('feed');
  feed.dataset.status = connected ? 'connected' : 'disconnected';
  setText(feed, connected ? 'connected' : 'disconnected');
}

function renderEmpty() {
  const empty = byId('empty');
  if (model.mode === null) setText(empty, 'Waiting for the feed…');
  else if (model.mode === 'live') setText(empty, EMPTY_TEXT);
  else setText(empty, 'The journal holds no connection.');
  empty.hidden = model.mode !== null && model.agents.length > 0;
}

// ---------------------------------------------------------------------------------------------------------
// Agents and connections (keyed, updated in place)

/** Puts the keyed views' sections into host in the given order, removing the others. */
function placeKeyed(host, viewMap, items, keyOf, create, update) {
  const keys = new Set(items.map(keyOf));
  for (const [key, view] of viewMap) {
    if (!keys.has(key)) {
      view.section.remove();
      viewMap.delete(key);
    }
  }
  items.forEach((item, i) => {
    let view = viewMap.get(keyOf(item));
    if (!view) {
      view = create(item);
      viewMap.set(keyOf(item), view);
    }
    update(view, item);
    if (host.children[i] !== view.section) host.insertBefore(view.section, host.children[i] ?? null);
  });
}

function renderAgents() {
  placeKeyed(byId('agents'), views.agents, model.agents, (a) => a.key, createAgentView, updateAgentView);
  renderEmpty();
}

function createAgentView(agent) {
  const view = {
    name: h('h2'),
    pid: h('span', { class: 'pid', 'data-field': 'pid' }),
    started: h('span', { class: 'started', 'data-field': 'started' }),
    ended: h('span', { class: 'badge ended', 'data-field': 'ended', text: 'ended' }),
    error: h('span', { class: 'agent-error', 'data-field': 'agent-error' }),
    list: h('div', { class: 'connections' }),
    connections: new Map(),
    agent,
  };
  view.head = h('header', { class: 'agent-head' }, view.name, view.pid, view.started);
  view.section = h('section', { class: 'agent', 'data-agent': agent.key }, view.head, view.list);
  return view;
}

function updateAgentView(view, agent) {
  view.agent = agent;
  setText(view.name, agent.name);
  setText(view.pid, `pid ${agent.pid}`);
  showIf(view.head, view.ended, agent.ended);
  showIf(view.head, view.error, Boolean(agent.error));
  setText(view.error, agent.error ?? '');
  renderStarted(view);
  const list = agent.connections.length ? agent.connections : [];
  placeKeyed(
    view.list,
    view.connections,
    list,
    (c) => c.name,
    (c) => createConnectionView(agent.key, c),
    updateConnectionView,
  );
  view.list.classList.toggle('none', list.length === 0);
}

/** Appends child to parent when `show`, removes it otherwise (so a missing badge is not even in the text). */
function showIf(parent, child, show) {
  if (show && child.parentNode !== parent) parent.append(child);
  else if (!show) child.remove();
}

function renderStarted(view) {
  const startedAt = new Date(view.agent.startedAt).toLocaleString();
  // A replayed journal may be old: its start is a date, not "… ago".
  setText(
    view.started,
    model.mode === 'replay' ? `started ${startedAt}` : `started ${agoText(now() - view.agent.startedAt)}`,
  );
  view.started.title = startedAt;
}

const FACTS = [
  ['state', 'state'],
  ['since', 'since'],
  ['attempt', 'attempt'],
  ['next-retry', 'next retry'],
  ['heartbeat', 'heartbeat'],
  ['round-trip', 'round trip'],
  ['type', 'type'],
  ['era', 'era'],
  ['protocol', 'protocol'],
  ['authorization', 'authorization'],
  ['journal', 'journal'],
  ['error', 'error'],
];

function createConnectionView(agentKey, conn) {
  const view = {
    agentKey,
    conn,
    fields: {},
    stats: new Map(),
    svg: null,
    lifecycleSvg: null,
    logVersion: -1,
  };
  const facts = h('dl', { class: 'facts' });
  for (const [field, name] of FACTS) {
    view.fields[field] = h('dd', { 'data-field': field });
    facts.append(h('div', { class: `fact fact-${field}` }, h('dt', { text: name }), view.fields[field]));
  }
  view.statsEl = h('div', { class: 'stats', 'data-field': 'stats' });
  view.diagram = h('div', { class: 'diagram-host' });
  view.timeline = h('div', { class: 'timeline', 'data-field': 'timeline' });
  view.axis = h('div', { class: 'axis' }, h('span'), h('span'));
  view.outages = h('ul', { class: 'outages', 'data-field': 'outages' });
  view.logBody = h('tbody');
  view.title = h('h3', { text: conn.name });
  view.typeBadge = h('span', { class: 'badge type' });
  view.statePill = h('span', { class: 'pill' });
  const log = h(
    'table',
    { class: 'log', 'data-field': 'log' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', { text: 'time' }), h('th', { text: 'kind' }), h('th', { text: 'details' })),
    ),
    view.logBody,
  );
  view.section = h(
    'section',
    { class: 'connection', 'data-agent': agentKey, 'data-connection': conn.name },
    h('header', { class: 'connection-head' }, view.title, view.typeBadge, view.statePill),
    view.diagram,
    h(
      'div',
      { class: 'connection-body' },
      h(
        'div',
        { class: 'history' },
        h('h4', { text: 'timeline' }),
        view.timeline,
        view.axis,
        view.outages,
        h('div', { class: 'log-wrap' }, log),
      ),
      h('div', { class: 'side' }, facts, view.statsEl),
    ),
  );
  attachLifecycle(view);
  return view;
}

function updateConnectionView(view, conn) {
  view.conn = conn;
  view.section.dataset.state = conn.state;
  setText(view.typeBadge, conn.type);
  setText(view.statePill, conn.state);
  view.statePill.dataset.state = conn.state;
  if (view.svg) lightDiagram(view.svg, new Set([conn.state]));
  renderFacts(view);
  renderConnectionHistory(view);
}

/** Gives the connection its clone of the lifecycle diagram (again when the lifecycle graph changes). */
function attachLifecycle(view) {
  const promise = model.lifecycleSvg;
  if (!promise || view.lifecycleSvg === promise) return;
  view.lifecycleSvg = promise;
  promise.then(
    (template) => {
      if (view.lifecycleSvg !== promise) return;
      view.svg = template.cloneNode(true);
      view.diagram.replaceChildren(view.svg);
      lightDiagram(view.svg, new Set([view.conn.state]));
    },
    (error) => diagramFailed(view.diagram, error),
  );
}

function* connectionViews() {
  for (const agentView of views.agents.values()) yield* agentView.connections.values();
}

// ---------------------------------------------------------------------------------------------------------
// Facts

function renderFacts(view) {
  const { conn, fields } = view;
  setText(fields.state, conn.state);
  fields.state.dataset.state = conn.state;
  setText(fields.attempt, String(conn.attempt));
  setText(fields.error, errorText(conn.error));
  fields.error.classList.toggle('bad', Boolean(conn.error));
  setText(fields.heartbeat, conn.heartbeatRttMs === undefined ? '-' : millis(conn.heartbeatRttMs));
  setText(fields['round-trip'], conn.roundTripMs === undefined ? '-' : millis(conn.roundTripMs));
  setText(fields.type, orDash(conn.type));
  setText(fields.era, orDash(conn.era));
  setText(fields.protocol, orDash(conn.protocolVersion));
  setText(fields.authorization, orDash(conn.authorization));
  setText(fields.journal, conn.journal ? `${conn.journal.entries} / ${conn.journal.capacity} entries` : '-');
  renderClockFacts(view);
  renderStats(view);
}

/** The facts that move with the clock: the retry countdown and how long the state has lasted. */
function renderClockFacts(view) {
  const { conn, fields } = view;
  const at = model.mode === 'replay' ? timelineEnd() : now();
  setText(fields['next-retry'], conn.nextRetryAt ? `in ${seconds(conn.nextRetryAt - at)}` : '-');
  setText(fields.since, `for ${seconds(at - conn.since)}`);
  fields.since.title = `since ${logTime(conn.since)}`;
}

function renderStats(view) {
  const stats = view.conn.stats ?? {};
  const keys = Object.keys(stats);
  if (keys.join('\u0000') !== [...view.stats.keys()].join('\u0000')) {
    view.stats.clear();
    view.statsEl.replaceChildren();
    for (const key of keys) {
      const value = h('span', { class: 'v' });
      view.stats.set(key, value);
      view.statsEl.append(
        h('div', { class: 'stat', 'data-stat': key }, h('span', { class: 'k', text: key }), value),
      );
    }
  }
  for (const key of keys) setText(view.stats.get(key), String(stats[key]));
}

// ---------------------------------------------------------------------------------------------------------
// Timeline and outages

const logKey = (agent, connection) => `${agent}\u0000${connection}`;

function logOf(agent, connection) {
  const key = logKey(agent, connection);
  if (!model.logs.has(key)) model.logs.set(key, { entries: [], version: 0 });
  return model.logs.get(key);
}

/** Adds entries to a log (deduped by seq, the newest LOG_KEEP kept); true when something was new. */
function appendEntries(log, entries) {
  const bySeq = new Map(log.entries.map((entry) => [entry.seq, entry]));
  const before = bySeq.size;
  for (const entry of entries) if (!bySeq.has(entry.seq)) bySeq.set(entry.seq, entry);
  if (bySeq.size === before) return false;
  log.entries = [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-LOG_KEEP);
  log.version++;
  return true;
}

/** Stretches of one state each, from the first journal entry to `end`, from the 'state' entries. */
function segmentsOf(entries, conn, end) {
  if (entries.length === 0)
    return conn ? [{ state: conn.state, from: conn.since, to: Math.max(end, conn.since) }] : [];
  const changes = entries.filter((entry) => entry.kind === 'state');
  const segments = [];
  const push = (state, from, to) => {
    const last = segments[segments.length - 1];
    if (last && last.state === state) last.to = to;
    else if (to > from || segments.length > 0) segments.push({ state, from, to });
  };
  let state = changes[0]?.from ?? conn?.state ?? 'idle';
  let from = entries[0].t;
  for (const change of changes) {
    push(state, from, change.t);
    [state, from] = [change.to, change.t];
  }
  if (model.mode !== 'replay' && conn && conn.state !== state && conn.since >= from) {
    push(state, from, conn.since);
    [state, from] = [conn.state, conn.since];
  }
  push(state, from, Math.max(end, from));
  if (segments.length === 0) segments.push({ state, from, to: Math.max(end, from) });
  return segments;
}

/** Every stretch that left 'open' and came back (or is still out), with the attempts made meanwhile. */
function outagesOf(segments, entries) {
  const outages = [];
  let current = null;
  segments.forEach((segment, i) => {
    if (segment.state === 'open') {
      if (current) outages.push({ ...current, to: segment.from, ongoing: false });
      current = null;
    } else if (current) current.to = segment.to;
    else if (i > 0 && segments[i - 1].state === 'open') current = { ...segment, ongoing: true };
  });
  if (current) outages.push(current);
  for (const outage of outages) {
    const during = entries.filter((e) => e.t >= outage.from && e.t <= outage.to && e.attempt !== undefined);
    outage.attempts = Math.max(0, ...during.map((e) => e.attempt));
  }
  return outages;
}

function renderTimeline(view, segments, end) {
  const start = segments.length ? segments[0].from : end;
  view.timeline.replaceChildren(
    ...segments.map((segment) => {
      const duration = Math.max(0, segment.to - segment.from);
      const el = h('div', {
        class: 'segment',
        'data-state': segment.state,
        title: `${segment.state} ${seconds(duration)} from ${clockTime(segment.from)}`,
      });
      el.style.flexGrow = String(duration || 0.0001);
      return el;
    }),
  );
  setText(view.axis.children[0], segments.length ? logTime(start) : '');
  setText(view.axis.children[1], model.mode === 'replay' ? logTime(end) : `now ${clockTime(end)}`);
}

function renderOutages(view, outages) {
  if (outages.length === 0) {
    view.outages.replaceChildren(h('li', { class: 'no-outage', text: 'no outage' }));
    return;
  }
  view.outages.replaceChildren(
    ...outages
      .slice()
      .reverse()
      .map((o) =>
        h('li', {
          class: o.ongoing ? 'outage ongoing' : 'outage',
          'data-state': o.state,
          text: `down ${seconds(o.to - o.from)} at ${clockTime(o.from)} (${o.state}, ${plural(o.attempts, 'attempt')})`,
        }),
      ),
  );
}

/** Timeline, outages and (when the journal changed) the log of one connection. */
function renderConnectionHistory(view) {
  const log = logOf(view.agentKey, view.conn.name);
  const end = timelineEnd();
  const segments = segmentsOf(log.entries, view.conn, end);
  renderTimeline(view, segments, end);
  renderOutages(view, outagesOf(segments, log.entries));
  if (view.logVersion !== log.version) {
    view.logVersion = log.version;
    renderLog(view.logBody, log.entries);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Event log

function entryDetails(entry) {
  switch (entry.kind) {
    case 'state': {
      const parts = [`attempt ${entry.attempt}`];
      if (entry.delayMs !== undefined) parts.push(`retry in ${delayText(entry.delayMs)}`);
      const text = `${entry.from} → ${entry.to} (${parts.join(', ')})`;
      return entry.error ? `${text} ${errorText(entry.error)}` : text;
    }
    case 'attempt':
      return `attempt ${entry.attempt}`;
    case 'session':
      return entry.reestablished > 0
        ? `session re-established (#${entry.reestablished})`
        : 'session established';
    case 'heartbeat':
      return `heartbeat ${millis(entry.rttMs)}`;
    case 'error':
      return errorText(entry.error);
    default:
      return JSON.stringify(entry);
  }
}

/** The newest LOG_SHOWN entries, newest first. */
function renderLog(body, entries) {
  const rows = entries.slice(-LOG_SHOWN).reverse();
  body.replaceChildren(
    ...rows.map((entry) => {
      const row = h(
        'tr',
        { class: `kind-${entry.kind}`, 'data-seq': entry.seq },
        h('td', { class: 'time', text: logTime(entry.t) }),
        h('td', { class: 'kind' }, h('span', { class: 'badge', text: entry.kind })),
        h('td', { class: 'details', text: entryDetails(entry) }),
      );
      if (entry.kind === 'state') row.dataset.to = entry.to;
      if (entry.kind === 'session' && entry.protocolVersion) row.title = `protocol ${entry.protocolVersion}`;
      return row;
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// XState actors

function actorsSection() {
  if (!views.actorsSection) {
    const list = h('div', { class: 'actor-list' });
    const section = h('section', { id: 'actors', class: 'actors' }, h('h2', { text: 'XState actors' }), list);
    byId('main').append(section);
    views.actorsSection = { section, list };
  }
  return views.actorsSection;
}

function createActorView(sessionId) {
  const view = {
    name: h('h3'),
    status: h('span', { class: 'badge status', 'data-field': 'status' }),
    parent: h('span', { class: 'muted', 'data-field': 'parent' }),
    diagram: h('div', { class: 'diagram-host' }),
    value: h('pre', { class: 'value', 'data-field': 'value' }),
    events: h('tbody'),
    graphKey: null,
    svg: null,
  };
  const events = h(
    'table',
    { class: 'log events', 'data-field': 'events' },
    h('thead', {}, h('tr', {}, h('th', { text: 'time' }), h('th', { text: 'event' }))),
    view.events,
  );
  view.section = h(
    'section',
    { class: 'actor', 'data-session': sessionId },
    h('header', { class: 'connection-head' }, view.name, view.status, view.parent),
    h(
      'div',
      { class: 'connection-body' },
      view.diagram,
      h(
        'div',
        { class: 'side' },
        h('h4', { text: 'value' }),
        view.value,
        h('div', { class: 'log-wrap' }, events),
      ),
    ),
  );
  actorsSection().list.append(view.section);
  return view;
}

function actorView(sessionId) {
  if (!views.actors.has(sessionId)) views.actors.set(sessionId, createActorView(sessionId));
  return views.actors.get(sessionId);
}

/** Draws one actor: name, status, diagram (laid out on its own), value and events. */
function renderActor(sessionId) {
  const { actor, events } = model.actors.get(sessionId);
  const view = actorView(sessionId);
  setText(view.name, actor.name);
  setText(view.status, actor.status);
  view.status.dataset.status = actor.status;
  setText(view.parent, actor.parentId ? `child of ${actor.parentId}` : '');
  setText(view.value, typeof actor.value === 'string' ? actor.value : JSON.stringify(actor.value, null, 1));
  renderActorDiagram(view, actor);
  view.events.replaceChildren(
    ...events
      .slice()
      .reverse()
      .map((e) => h('tr', {}, h('td', { class: 'time', text: logTime(e.t) }), h('td', { text: e.event }))),
  );
}

function renderActorDiagram(view, actor) {
  const key = JSON.stringify(actor.graph);
  if (key !== view.graphKey) {
    view.graphKey = key;
    view.svg = null;
    if (!actor.graph) {
      view.diagram.replaceChildren(h('p', { class: 'muted', text: 'no diagram' }));
      return;
    }
    layoutDiagram(actor.graph).then(
      (laidOut) => {
        if (view.graphKey !== key) return;
        view.svg = renderDiagram(laidOut, 'actor-diagram');
        view.diagram.replaceChildren(view.svg);
        lightDiagram(view.svg, activeStates(model.actors.get(view.section.dataset.session)?.actor.value));
      },
      (error) => diagramFailed(view.diagram, error),
    );
  }
  if (view.svg) lightDiagram(view.svg, activeStates(actor.value));
}

function addActorEvent(record, t, event) {
  if (record.events.some((e) => e.t === t && e.event === event)) return;
  record.events.push({ t, event });
  if (record.events.length > ACTOR_EVENTS) record.events.splice(0, record.events.length - ACTOR_EVENTS);
}

// ---------------------------------------------------------------------------------------------------------
// Feed: messages from ws://HOST/live

function resetModel() {
  model.logs.clear();
  model.actors.clear();
  model.agents = [];
  for (const view of views.agents.values()) view.section.remove();
  views.agents.clear();
  views.actors.clear();
  views.actorsSection?.section.remove();
  views.actorsSection = null;
}

const handlers = {
  hello(msg) {
    if (model.mode !== null && (model.mode !== msg.mode || model.source !== msg.source)) resetModel();
    // A new feed connection sends the journals again: start them afresh (a restarted agent reuses seqs).
    model.logs.clear();
    model.mode = msg.mode;
    model.source = msg.source;
    model.offset = msg.now - Date.now();
    const key = JSON.stringify(msg.lifecycle);
    if (key !== model.lifecycleKey) {
      model.lifecycleKey = key;
      model.lifecycleSvg = layoutDiagram(msg.lifecycle).then((laidOut) =>
        renderDiagram(laidOut, 'lifecycle'),
      );
      for (const view of connectionViews()) attachLifecycle(view);
    }
    renderHeader();
    renderEmpty();
  },
  agents(msg) {
    model.offset = msg.now - Date.now();
    model.agents = msg.agents;
    renderAgents();
  },
  entries(msg) {
    const log = logOf(msg.agent, msg.connection);
    // The connection's journal started again (a new transport of that name): its seqs restart at 1.
    if (msg.reset) log.entries = [];
    if (!appendEntries(log, msg.entries)) return;
    for (const view of connectionViews()) {
      if (model.mode === 'replay' || (view.agentKey === msg.agent && view.conn.name === msg.connection)) {
        renderConnectionHistory(view);
        renderClockFacts(view);
      }
    }
  },
  actor(msg) {
    const known = model.actors.get(msg.actor.sessionId);
    model.actors.set(msg.actor.sessionId, { actor: msg.actor, events: known?.events ?? [] });
    renderActor(msg.actor.sessionId);
  },
  'actor.snapshot'(msg) {
    const record = model.actors.get(msg.sessionId);
    if (!record) return;
    record.actor = { ...record.actor, value: msg.value, status: msg.status };
    if (msg.event) addActorEvent(record, msg.t, msg.event);
    renderActor(msg.sessionId);
  },
  'actor.event'(msg) {
    const record = model.actors.get(msg.sessionId);
    if (!record) return;
    addActorEvent(record, msg.t, msg.event);
    renderActor(msg.sessionId);
  },
};

function handleMessage(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return;
  }
  handlers[msg?.type]?.(msg);
}

/** Opens the live feed; while it is down, the header says so and it tries again every second. */
function connectFeed() {
  const socket = new WebSocket(`ws://${location.host}/live`);
  socket.addEventListener('open', () => setFeed(true));
  socket.addEventListener('message', (event) => handleMessage(event.data));
  socket.addEventListener('close', () => {
    setFeed(false);
    setTimeout(connectFeed, 1000);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Clock

let ticks = 0;

function tick() {
  setText(byId('clock'), clockTime(now()));
  const everySecond = ticks++ % 10 === 0;
  for (const view of connectionViews()) {
    renderClockFacts(view);
    if (everySecond && model.mode !== 'replay') renderConnectionHistory(view);
  }
  if (everySecond) for (const view of views.agents.values()) renderStarted(view);
}

renderEmpty();
connectFeed();
tick();
setInterval(tick, 100);
