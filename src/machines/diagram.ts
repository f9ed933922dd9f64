/**
 * Draws a statechart as Mermaid `stateDiagram-v2` text, straight from the machine definition,
 * so the README diagram cannot drift from the code (`lifeline statechart` prints it; a test
 * checks the README holds the current output).
 *
 * Walks `machine.root`: each state node's `transitions` map (events and delayed `after`
 * transitions, in definition order), its `always` transitions, and its child states (a compound
 * state becomes a composite block). Output is deterministic: states in document order,
 * transitions in definition order (guard order matters: the first enabled one wins).
 * Transitions from one state to the same target share one arrow, a label line each.
 * Transitions without a target run their actions and stay (no exit, no re-entry); they are
 * labeled with their actions, as self-loops (on a composite state: in a note beside it).
 * Transitions on the root (taken in any state) are listed as Mermaid comments; those with a
 * target also get a note on that target, since a root transition has no arrow of its own.
 */

import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

const AFTER_PREFIX = 'xstate.after.';
/** Separates the labels of transitions sharing an arrow (Mermaid renders it as a line break). */
export const LINE_BREAK = '<br/>';

/** Mermaid treats these specially inside a label; none occur in sane names. */
function clean(text: string): string {
  return text.replace(/[;#<>\n\r]/g, ' ').trim();
}

function nameOf(value: unknown, fallback: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') return value.name === '' ? fallback : value.name;
  if (typeof value === 'object' && value !== null && 'type' in value) {
    const type = (value as { type: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return fallback;
}

function delayName(delay: unknown): string {
  if (typeof delay === 'number') return `${delay}ms`;
  return nameOf(delay, 'delay');
}

/** `link.down [isPermanent]`, `after connectTimeout`, `always [hasNoLink]`. */
function transitionLabel(transition: AnyTransitionDefinition, eventless: boolean): string {
  let label: string;
  if (eventless) label = 'always';
  else if ('delay' in transition) label = `after ${delayName(transition.delay)}`;
  else if (String(transition.eventType).startsWith(AFTER_PREFIX)) label = 'after';
  else label = String(transition.eventType);
  if (transition.guard !== undefined) label += ` [${nameOf(transition.guard, 'guard')}]`;
  if (transition.target === undefined || transition.target.length === 0) {
    const actions = transition.actions.map((action) => nameOf(action, 'action'));
    if (actions.length > 0) label += ` / ${actions.join(', ')}`;
  }
  return clean(label);
}

/** Every state node below the root, in document order. */
function descendants(node: AnyStateNode): AnyStateNode[] {
  const children = Object.values(node.states) as AnyStateNode[];
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/**
 * Returns a Mermaid `stateDiagram-v2` drawing of a machine: `[*] --> initial`, one arrow per
 * transition labeled by event type (with its guard), compound states as composite blocks.
 */
export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root as AnyStateNode;
  const all = descendants(root);
  const keyCount = new Map<string, number>();
  for (const node of all) keyCount.set(node.key, (keyCount.get(node.key) ?? 0) + 1);
  // A state is named by its key, or by its path when the key is not unique.
  const idOf = (node: AnyStateNode): string =>
    keyCount.get(node.key) === 1 ? node.key : node.path.join('_');

  const edges = (node: AnyStateNode, indent: string): string[] => {
    // One arrow per target: several transitions to the same state share it, a label line each.
    const labels = new Map<string, string[]>();
    // Transitions without a target run actions and stay: a self-loop on a simple state; Mermaid
    // draws loops on a composite state badly, so there they are listed in a note.
    const stays: string[] = [];
    const loopsOnComposite = node.type === 'compound' || node.type === 'parallel';
    const from = idOf(node);
    const draw = (transition: AnyTransitionDefinition, eventless: boolean): void => {
      const label = transitionLabel(transition, eventless);
      const targets = transition.target ?? [];
      if (targets.length === 0 && loopsOnComposite) stays.push(label);
      for (const target of targets.length === 0 && !loopsOnComposite ? [node] : targets) {
        const to = idOf(target as AnyStateNode);
        labels.set(to, [...(labels.get(to) ?? []), label]);
      }
    };
    for (const transitions of node.transitions.values()) {
      for (const transition of transitions) draw(transition, false);
    }
    for (const transition of node.always ?? []) draw(transition, true);
    const lines = [...labels].map(([to, text]) => `${indent}${from} --> ${to} : ${text.join(LINE_BREAK)}`);
    if (node.type === 'final') lines.push(`${indent}${from} --> [*]`);
    if (stays.length > 0) {
      lines.push(
        `${indent}note left of ${from}`,
        `${indent}  stays in ${clean(node.key)} on`,
        ...stays.map((label) => `${indent}  ${label}`),
        `${indent}end note`,
      );
    }
    return lines;
  };

  const block = (parent: AnyStateNode, indent: string): string[] => {
    const lines: string[] = [];
    const children = Object.values(parent.states) as AnyStateNode[];
    if (parent.type === 'compound') {
      const initial = parent.initial.target[0] as AnyStateNode | undefined;
      if (initial !== undefined) lines.push(`${indent}[*] --> ${idOf(initial)}`);
    }
    children.forEach((child, index) => {
      if (parent.type === 'parallel' && index > 0) lines.push(`${indent}--`);
      const id = idOf(child);
      if (id !== child.key) lines.push(`${indent}state "${clean(child.key)}" as ${id}`);
      if (child.type === 'compound' || child.type === 'parallel') {
        lines.push(`${indent}state ${id} {`, ...block(child, `${indent}  `), `${indent}}`);
      }
    });
    for (const child of children) lines.push(...edges(child, indent));
    return lines;
  };

  const lines = ['stateDiagram-v2'];
  const fromEverywhere: string[] = [];
  for (const transitions of root.transitions.values()) {
    for (const transition of transitions) {
      const targets = (transition.target ?? []).map((node) => idOf(node as AnyStateNode));
      const label = transitionLabel(transition, false);
      lines.push(`  %% in every state: ${label}${targets.length > 0 ? ` -> ${targets.join(', ')}` : ''}`);
      for (const target of targets)
        fromEverywhere.push(`  note right of ${target} : ${label} from every state`);
    }
  }
  lines.push(...block(root, '  '), ...fromEverywhere);
  return `${lines.join('\n')}\n`;
}

/** The README markers around the generated statechart block. */
export const STATECHART_START = '<!-- statechart:start -->';
export const STATECHART_END = '<!-- statechart:end -->';

/** The README block: the markers around a ```mermaid fence holding {@link toMermaid}'s output. */
export function toMarkdownBlock(machine: AnyStateMachine): string {
  return `${STATECHART_START}\n\`\`\`mermaid\n${toMermaid(machine)}\`\`\`\n${STATECHART_END}\n`;
}

/** One state of a {@link StateGraph}. */
export interface StateGraphNode {
  /** The state's path from the root, joined by `.` (`open`, `open.idle`). */
  id: string;
  label: string;
  /** The parent state's id; absent at the top level. */
  parent?: string;
  kind: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The state its parent enters first. */
  initial: boolean;
}

/** One arrow of a {@link StateGraph}: a transition, labeled as in {@link toMermaid}. */
export interface StateGraphEdge {
  id: string;
  source: string;
  target: string;
  label: string;
}

/**
 * A statechart as plain data for a layout library (the `lifeline inspect` page lays it out with
 * ELK): the states (compound ones hold their children through `parent`) and the transitions.
 * Transitions on the root, taken in any state, have no arrow: they are listed in `global`.
 */
export interface StateGraph {
  nodes: StateGraphNode[];
  edges: StateGraphEdge[];
  /** `close -> closing`: the root's transitions, which every state takes. */
  global: string[];
}

/** The id of a state in a {@link StateGraph}: its path joined by `.`. */
function graphId(node: AnyStateNode): string {
  return node.path.join('.');
}

/**
 * Returns a machine's {@link StateGraph}: states in document order, transitions in definition
 * order. Transitions between the same two states share one edge, their labels on lines of their
 * own; a transition without a target is a self-loop labeled with its actions.
 */
export function toGraph(machine: AnyStateMachine): StateGraph {
  const root = machine.root as AnyStateNode;
  const nodes: StateGraphNode[] = [];
  const labels = new Map<string, { source: string; target: string; lines: string[] }>();
  const edge = (source: string, target: string, label: string): void => {
    const key = `${source}\u0000${target}`;
    const found = labels.get(key);
    if (found === undefined) labels.set(key, { source, target, lines: [label] });
    else found.lines.push(label);
  };
  for (const node of descendants(root)) {
    const parent = node.parent as AnyStateNode | undefined;
    const initial = parent !== undefined && parent.type === 'compound' && parent.initial.target[0] === node;
    nodes.push({
      id: graphId(node),
      label: node.key,
      ...(parent !== undefined && parent !== root ? { parent: graphId(parent) } : {}),
      kind: node.type,
      initial,
    });
    const draw = (transition: AnyTransitionDefinition, eventless: boolean): void => {
      const label = transitionLabel(transition, eventless);
      const targets = (transition.target ?? []) as AnyStateNode[];
      for (const target of targets.length === 0 ? [node] : targets)
        edge(graphId(node), graphId(target), label);
    };
    for (const transitions of node.transitions.values()) {
      for (const transition of transitions) draw(transition, false);
    }
    for (const transition of node.always ?? []) draw(transition, true);
  }
  const global: string[] = [];
  for (const transitions of root.transitions.values()) {
    for (const transition of transitions) {
      const targets = (transition.target ?? []).map((node) => graphId(node as AnyStateNode));
      global.push(
        `${transitionLabel(transition, false)}${targets.length > 0 ? ` -> ${targets.join(', ')}` : ''}`,
      );
    }
  }
  const edges = [...labels.values()].map(({ source, target, lines }, index) => ({
    id: `e${index}`,
    source,
    target,
    label: lines.join('\n'),
  }));
  return { nodes, edges, global };
}
