// Preloaded (NODE_OPTIONS=-r) into an SDK worker by a test: it says what it is doing, then never
// gets to connect, as a worker stuck at start-up would.
console.error("loading forever (test: a worker that never connects)");
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
