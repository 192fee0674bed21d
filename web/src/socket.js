// The dashboard's WebSocket to /ws (same origin). Reconnects with exponential backoff and jitter;
// every (re)connection calls on_open so the caller reloads its state over REST.

import { hooks } from './test_hooks.js';

const kFirstDelayMs = 500;
const kMaxDelayMs = 15000;

export function connect_socket({ on_message, on_open, on_state }) {
  let delay = kFirstDelayMs;
  let stopped = false;
  let socket = null;
  let timer = null;

  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

  function open() {
    timer = null;
    on_state('connecting');
    socket = new WebSocket(url);
    socket.addEventListener('open', () => {
      delay = kFirstDelayMs;
      on_state('connected');
      on_open();
    });
    socket.addEventListener('message', (event) => {
      hooks.wsMessages += 1;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      on_message(message);
    });
    socket.addEventListener('close', () => {
      socket = null;
      if (stopped) return;
      const wait = delay * (0.75 + Math.random() * 0.5);
      delay = Math.min(delay * 2, kMaxDelayMs);
      on_state('reconnecting', wait);
      timer = setTimeout(open, wait);
    });
  }

  open();

  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (socket) socket.close();
      on_state('stopped');
    },
  };
}
