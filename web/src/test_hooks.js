// Counters read by browser tests (tests/dashboard.test.mjs) to see that the page did its work.
// They count; they decide nothing.

export const hooks = {
  wsMessages: 0,
  chartPoints: { paper: 0, live: 0 },
};

window.__gauntlet = hooks;
