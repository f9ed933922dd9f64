import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { connectionMachine } from '../../src/machines/connection.js';
import {
  LINE_BREAK,
  STATECHART_END,
  STATECHART_START,
  toMarkdownBlock,
  toMermaid,
} from '../../src/machines/diagram.js';

const README = resolve(fileURLToPath(import.meta.url), '..', '..', '..', 'README.md');
const HOW_TO_FIX =
  'Regenerate it: `npm run build --silent && node dist/cli/main.js statechart --markdown`, and paste the ' +
  `output over the block between ${STATECHART_START} and ${STATECHART_END} in README.md.`;

/** Each transition of a diagram as `from --> to : label` (arrows shared by several transitions split up). */
function edgesOf(text: string): string[] {
  return text.split('\n').flatMap((raw) => {
    const match = /^\s*(\S+ --> \S+) : (.*)$/.exec(raw);
    if (match === null) return [];
    return (match[2] ?? '').split(LINE_BREAK).map((label) => `${match[1]} : ${label}`);
  });
}

describe('toMermaid(connectionMachine)', () => {
  const text = toMermaid(connectionMachine);
  const lines = text.split('\n').map((line) => line.trim());
  const edges = edgesOf(text);

  it('is a stateDiagram-v2 starting in idle', () => {
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toContain('[*] --> idle');
  });

  it('names every top-level state', () => {
    const states = Object.keys(connectionMachine.root.states);
    expect(states).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'closing', 'failed']);
    for (const state of states) {
      expect(lines.some((line) => line.startsWith(`${state} --> `) || line.includes(`--> ${state} `))).toBe(
        true,
      );
    }
  });

  it('labels the key transitions with their event, guard or delay', () => {
    for (const edge of [
      'idle --> connecting : connection.start',
      'connecting --> open : link.up',
      'connecting --> failed : link.down [isPermanent]',
      'connecting --> failed : link.down [isBudgetSpent]',
      'connecting --> reconnecting : link.down',
      'open --> reconnecting : link.down',
      'reconnecting --> connecting : after reconnectDelay',
      'closing --> idle : link.closed',
      'closing --> idle : after closeDeadline',
      'closing --> idle : always [hasNoLink]',
      'failed --> connecting : connection.start',
    ]) {
      expect(edges).toContain(edge);
    }
    // A transition on the root (taken in every state) is a comment and a note on its target.
    expect(lines).toContain('%% in every state: connection.close -> closing');
    expect(lines).toContain('note right of closing : connection.close from every state');
    expect(edges).not.toContain('open --> closing : connection.close');
    // Transitions to the same state share one arrow.
    expect(lines).toContain('connecting --> failed : link.down [isPermanent]<br/>link.down [isBudgetSpent]');
    // Targetless transitions are labeled with what they do: self-loops, or a note on a composite state.
    expect(edges).toContain('connecting --> connecting : after connectTimeout / reportConnectTimeout');
    const note = lines.indexOf('note left of open');
    expect(note).toBeGreaterThan(0);
    expect(lines.slice(note, lines.indexOf('end note', note))).toContain(
      'link.proven / resetAttempts, clearError',
    );
  });

  it("draws open's substates as a composite state", () => {
    const start = lines.indexOf('state open {');
    const end = lines.indexOf('}', start);
    expect(start).toBeGreaterThan(0);
    const inside = lines.slice(start + 1, end);
    expect(inside).toContain('[*] --> watching');
    expect(edgesOf(inside.join('\n'))).toEqual(
      expect.arrayContaining([
        'watching --> probing : after heartbeatInterval [isHeartbeatEnabled]',
        'probing --> watching : heartbeat.ack',
        'probing --> probing : after heartbeatTimeout / reportHeartbeatMissed',
      ]),
    );
  });

  it('is deterministic', () => {
    expect(toMermaid(connectionMachine)).toBe(text);
  });
});

describe('toMermaid on other shapes', () => {
  it('handles repeated keys, final states, numeric delays and guard objects', () => {
    const machine = createMachine({
      id: 'shape',
      initial: 'a',
      states: {
        a: {
          initial: 'inner',
          states: { inner: { on: { GO: { target: '#shape.b.inner', guard: { type: 'ready' } } } } },
        },
        b: { initial: 'inner', states: { inner: { after: { 250: '#shape.done' } } } },
        done: { type: 'final' },
      },
    });
    const text = toMermaid(machine);
    expect(text).toContain('state "inner" as a_inner');
    expect(text).toContain('a_inner --> b_inner : GO [ready]');
    expect(text).toContain('b_inner --> done : after 250ms');
    expect(text).toContain('done --> [*]');
  });
});

describe('README.md statechart', () => {
  it('holds exactly the current diagram between the markers', () => {
    if (!existsSync(README)) {
      expect.fail(`README.md does not exist yet, so it cannot show the statechart. ${HOW_TO_FIX}`);
    }
    const readme = readFileSync(README, 'utf8');
    const start = readme.indexOf(STATECHART_START);
    const end = readme.indexOf(STATECHART_END);
    if (start === -1 || end < start) {
      expect.fail(`README.md has no ${STATECHART_START} … ${STATECHART_END} block. ${HOW_TO_FIX}`);
    }
    const block = readme.slice(start, end + STATECHART_END.length);
    expect(block, `The README statechart is out of date. ${HOW_TO_FIX}`).toBe(
      toMarkdownBlock(connectionMachine).trimEnd(),
    );
  });
});
