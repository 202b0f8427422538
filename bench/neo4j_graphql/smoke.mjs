// Runs the two benchmark queries of queries.json once each against a running server.mjs and
// prints what came back, to show that they work on the data at hand.
//
//   node smoke.mjs [--org ORG --namespace NS --id DATASET_ID] [--url URL] [--repeat N]
//
// Without --org/--namespace/--id it asks the server for a dataset that has upstream lineage
// and uses its organisation, namespace and id. With --repeat N it also times N more runs of
// each query, one at a time (a rough check, not the benchmark).

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    url: { type: "string", default: process.env.GRAPHQL_URL || "http://127.0.0.1:4000/graphql" },
    org: { type: "string" },
    namespace: { type: "string" },
    id: { type: "string" },
    repeat: { type: "string", default: "0" },
  },
});

const queries = JSON.parse(readFileSync(new URL("./queries.json", import.meta.url), "utf8"));

async function post(query, variables) {
  const started = performance.now();
  const response = await fetch(opts.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  const body = JSON.parse(text);
  if (!response.ok || body.errors) {
    throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  return { data: body.data, bytes: Buffer.byteLength(text), ms };
}

const SAMPLE = `query Sample {
  datasets(where: { upstream: { some: { NOT: { id: { eq: "" } } } } }, sort: [{ org: ASC }, { namespace: ASC }, { name: ASC }], limit: 1) {
    id org namespace
  }
}`;

let { org, namespace, id } = opts;
if (!org || !namespace || !id) {
  const { data } = await post(SAMPLE, {});
  const sample = data.datasets[0];
  if (!sample) throw new Error("no dataset with upstream lineage in the graph: seed it first");
  org ??= sample.org;
  namespace ??= sample.namespace;
  id ??= sample.id;
}

const page = await post(queries.page, { org, namespace });
const rows = page.data.datasets;
const count = (key) => rows.reduce((n, d) => n + d[key].length, 0);
const upstreamDistinct = rows.reduce(
  (n, d) => n + new Set(d.upstream.map((u) => `${u.namespace}\u0000${u.name}`)).size,
  0,
);
console.log(`page   org=${org} namespace=${namespace}`);
console.log(
  `       ${rows.length} datasets, ${count("fields")} fields, ${count("producers")} producers ` +
    `(${rows.reduce((n, d) => n + d.producers.reduce((m, j) => m + j.inputs.length, 0), 0)} inputs), ` +
    `${count("upstream")} upstream (${upstreamDistinct} distinct), ${count("policies")} policies; ` +
    `${page.bytes} bytes in ${page.ms.toFixed(1)} ms`,
);
if (rows.length) console.log(`       first: ${JSON.stringify(rows[0]).slice(0, 300)}`);

const lookup = await post(queries.lookup, { id });
console.log(`lookup id=${id}`);
console.log(
  `       ${lookup.data.datasets.length} dataset(s), ${lookup.bytes} bytes in ${lookup.ms.toFixed(1)} ms: ` +
    JSON.stringify(lookup.data.datasets[0]),
);

const repeat = Number.parseInt(opts.repeat, 10);
if (repeat > 0) {
  for (const [name, run] of [
    ["page", () => post(queries.page, { org, namespace })],
    ["lookup", () => post(queries.lookup, { id })],
  ]) {
    const times = [];
    for (let i = 0; i < repeat; i++) times.push((await run()).ms);
    times.sort((a, b) => a - b);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
    console.log(`${name.padEnd(6)} ${repeat} sequential runs: min ${at(0)} ms, median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`);
  }
}
