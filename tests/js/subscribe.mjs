// Usage: node subscribe.mjs <ws-url> <entity-id> <count> [token]
// Subscribes to entityChanged(id) with the graphql-ws client and prints each event as one
// JSON line, then exits after <count> events (or with an error line and status 1).
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, entityId, count, token] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
  retryAttempts: 0,
});

const query = `subscription($id: ID) {
  entityChanged(id: $id) { seq action version entity { name } }
}`;

let seen = 0;
const timer = setTimeout(() => {
  console.log(JSON.stringify({ error: "timed out" }));
  process.exit(1);
}, 20000);

client.subscribe(
  { query, variables: { id: entityId } },
  {
    next: (result) => {
      console.log(JSON.stringify(result));
      seen += 1;
      if (seen >= Number(count)) {
        clearTimeout(timer);
        client.dispose();
        process.exit(0);
      }
    },
    error: (error) => {
      console.log(JSON.stringify({ error: String(error?.reason ?? error?.message ?? error) }));
      process.exit(1);
    },
    complete: () => {},
  },
);
// Tell the test the subscription is on its way.
console.log(JSON.stringify({ subscribed: true }));
