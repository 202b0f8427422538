// The Neo4j GraphQL Library (@neo4j/graphql 7) serving Nexus Graph's Neo4j data, so that
// the benchmarks can compare our service with it on the same graph and the same queries.
//
//   npm ci && node server.mjs        # POST http://127.0.0.1:4000/graphql
//
// HTTP server: graphql-yoga on a plain node:http server. On this machine it served a trivial
// 20-item query as fast as @apollo/server's startStandaloneServer (about 2,850 requests/s
// each, 10 connections; Apollo's standalone server chains body-parser and cors middleware,
// Yoga is one request handler), and it has fewer moving parts: no landing page, usage
// reporting or cache-control plugins to turn off. Either way the HTTP layer costs well
// under a millisecond next to the Cypher that the library runs.
//
// Left as the libraries ship them (no caching beyond their defaults): Yoga's LRU cache of
// parsed and validated documents (Apollo Server has the same by default) and the library's
// one-off lookup of the Neo4j version on the first request. GraphiQL, the landing page and
// request logging are off. The library's debug output stays off unless DEBUG asks for it,
// e.g. DEBUG=@neo4j/graphql:execution to log each Cypher statement.
//
// Read-only: the library never creates constraints or indexes by itself, and this server
// does not call assertIndexesAndConstraints(); queries run in read transactions.
//
// Environment: NEO4J_URI [bolt://127.0.0.1:7687], NEO4J_USER [neo4j],
// NEO4J_PASSWORD [nexus-dev-password], NEO4J_DATABASE [neo4j], NEO4J_POOL_SIZE [50, as
// our service's default], HOST [127.0.0.1], PORT [4000].

import { readFileSync } from "node:fs";
import { createServer } from "node:http";

import { Neo4jGraphQL } from "@neo4j/graphql";
import { createYoga } from "graphql-yoga";
import neo4j from "neo4j-driver";

const env = (name, fallback) => process.env[name] || fallback;

const uri = env("NEO4J_URI", "bolt://127.0.0.1:7687");
const user = env("NEO4J_USER", "neo4j");
const password = env("NEO4J_PASSWORD", "nexus-dev-password");
const database = env("NEO4J_DATABASE", "neo4j");
const poolSize = Number.parseInt(env("NEO4J_POOL_SIZE", "50"), 10);
const host = env("HOST", "127.0.0.1");
const port = Number.parseInt(env("PORT", "4000"), 10);

const driver = neo4j.driver(uri, neo4j.auth.basic(user, password), {
  maxConnectionPoolSize: poolSize,
  connectionAcquisitionTimeout: 30_000,
});

const typeDefs = readFileSync(new URL("./schema.graphql", import.meta.url), "utf8");
const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
const schema = await neoSchema.getSchema();

// Fail fast on a wrong address or password rather than on the first request.
await driver.verifyConnectivity({ database });

const yoga = createYoga({
  schema,
  graphqlEndpoint: "/graphql",
  graphiql: false,
  landingPage: false,
  logging: "warn",
  // Every request gets its own session on this database, in a read transaction for queries.
  context: () => ({ sessionConfig: { database } }),
});

const server = createServer(yoga);
server.keepAliveTimeout = 65_000;

server.listen(port, host, () => {
  console.log(`neo4j-graphql listening on http://${host}:${port}/graphql (neo4j ${uri}, pool ${poolSize})`);
});

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`neo4j-graphql: ${signal}, stopping`);
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 2_000).unref();
  await closed;
  await driver.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
