// V8 settings the worker process runs with (scripts/start.mjs, docker-compose.yml, the bench).
// Without them V8 grows the heap lazily on a large machine (Node 24: a young generation of up to
// ~100 MB, and an old generation sized from the machine's memory), and the worker's RSS climbs
// with the backlog (386 → 524 MB from 100 to 400 requests in `npm run bench -- --only scaling`)
// although its live heap stays under 100 MB. With them: ~250 MB, flat. The old-space cap leaves
// room for the largest access reports (AMPLITUDE_MAX_EVENTS bounds them); raise it with
// NODE_OPTIONS if a deployment needs more.
export const WORKER_NODE_FLAGS = ['--max-old-space-size=512', '--max-semi-space-size=8'];
