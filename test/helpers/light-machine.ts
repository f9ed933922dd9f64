// A plain XState machine of a test's own, for the inspector tests: a traffic light whose `red`
// has substates, so a nested state and its parent are lit together.

import { createMachine } from 'xstate';

export const lightMachine = createMachine({
  id: 'light',
  initial: 'green',
  states: {
    green: { on: { TIMER: 'yellow' } },
    yellow: { on: { TIMER: 'red' } },
    red: {
      initial: 'walk',
      on: { TIMER: 'green' },
      states: { walk: { on: { COUNTDOWN: 'wait' } }, wait: {} },
    },
  },
});
