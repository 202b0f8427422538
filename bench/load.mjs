// Load generator for bench/scale.py: closed-loop clients or simulated users with think time,
// sending prepared GraphQL requests over HTTP keep-alive with Node's built-in fetch.
//
//   node bench/load.mjs spec.json        # prints the figures as JSON on stdout
//
// The spec: {url, headers, mode: "closed" | "users", clients, users, think (s), duration (s),
// timeout (s), warmup (s), requests: {name: [body, ...]}}. Requests started after `warmup`
// seconds are also reported on their own ("steady"): the figures once caches are warm and
// the arrival burst is served. Each request picks a scenario name at random
// (uniformly), then one of its prepared bodies at random. A request counts as an error when
// the status is not 200, the body has GraphQL `errors`, or it times out.
//
// Why Node and not Python: on a 2-core machine the load generator shares the CPU with the
// servers under test. httpx spent more CPU per request than a lookup costs the server, so
// both GraphQL layers measured the client (about 110 requests/s each). Node's HTTP client
// costs a fraction of that, and it is the same client for both layers.

import { readFileSync } from "node:fs";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const names = Object.keys(spec.requests);
const timeoutMs = (spec.timeout ?? 30) * 1000;
const latencies = Object.fromEntries(names.map((name) => [name, []]));
const errors = Object.fromEntries(names.map((name) => [name, 0]));
const steadyLatencies = Object.fromEntries(names.map((name) => [name, []]));
const steadyErrors = Object.fromEntries(names.map((name) => [name, 0]));
const warmupMs = (spec.warmup ?? 0) * 1000;
let startedAt = 0;
// How the service's result cache served each scenario (its X-Nexus-Cache header).
const served = Object.fromEntries(names.map((name) => [name, {}]));
const errorSamples = [];

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

async function once() {
  const name = pick(names);
  const body = pick(spec.requests[name]);
  const started = performance.now();
  const steady = started - startedAt >= warmupMs;
  try {
    const response = await fetch(spec.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...spec.headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const elapsed = performance.now() - started;
    const outcome = response.headers.get("x-nexus-cache");
    if (outcome) served[name][outcome] = (served[name][outcome] ?? 0) + 1;
    if (response.status !== 200 || text.includes('"errors"')) {
      errors[name] += 1;
      if (steady) steadyErrors[name] += 1;
      if (errorSamples.length < 5) errorSamples.push(`${response.status}: ${text.slice(0, 300)}`);
    } else {
      latencies[name].push(elapsed);
      if (steady) steadyLatencies[name].push(elapsed);
    }
  } catch (error) {
    errors[name] += 1;
    if (steady) steadyErrors[name] += 1;
    if (errorSamples.length < 5) errorSamples.push(String(error));
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Exponentially distributed think time with the given mean, in milliseconds.
function think(meanSeconds) {
  return -Math.log(1 - Math.random()) * meanSeconds * 1000;
}

async function closedLoop(deadline) {
  while (performance.now() < deadline) await once();
}

async function user(deadline) {
  // Users arrive over the first think time; no pause runs past the deadline.
  await sleep(Math.min(Math.random() * spec.think * 1000, deadline - performance.now()));
  while (performance.now() < deadline) {
    await once();
    await sleep(Math.max(0, Math.min(think(spec.think), deadline - performance.now())));
  }
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.round(fraction * (sorted.length - 1))));
  return sorted[index];
}

const started = performance.now();
startedAt = started;
const deadline = started + spec.duration * 1000;
const workers =
  spec.mode === "users"
    ? Array.from({ length: spec.users }, () => user(deadline))
    : Array.from({ length: spec.clients }, () => closedLoop(deadline));
await Promise.all(workers);
const elapsed = (performance.now() - started) / 1000;

const result = { elapsed, scenarios: {}, errorSamples };
let total = 0;
for (const name of names) {
  const sorted = latencies[name].sort((a, b) => a - b);
  total += sorted.length;
  result.scenarios[name] = {
    count: sorted.length,
    errors: errors[name],
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null,
    cache: served[name],
  };
  if (warmupMs > 0) {
    const steady = steadyLatencies[name].sort((a, b) => a - b);
    result.scenarios[name].steady = {
      count: steady.length,
      errors: steadyErrors[name],
      p50: percentile(steady, 0.5),
      p95: percentile(steady, 0.95),
      p99: percentile(steady, 0.99),
    };
  }
}
result.throughput = total / elapsed;
result.errors = Object.values(errors).reduce((a, b) => a + b, 0);
process.stdout.write(JSON.stringify(result));
