// The client facade refuses bad parameters before touching the network, and
// reports a registration it could not complete with a typed, temporary error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLatticeHost } from "@builder/net";
import { read, submit, ZipnetClientError } from "../src/index.js";
import { freePort } from "./fixtures/processes.js";
import { peerIdOfSecret, secretOf, testConfig } from "./fixtures/lattice.js";

const config = testConfig();

test("submit: a provider that is not a /p2p/ multiaddr is named in the error", async () => {
  await assert.rejects(
    submit(config, { providers: ["/ip4/127.0.0.1/tcp/1"], aggregator: "/ip4/127.0.0.1/tcp/2/p2p/x", ticket: "t" }),
    (e: unknown) => e instanceof ZipnetClientError && e.code === "ZIPNET_CLIENT_CONFIG" && e.message.startsWith("submit.providers[0] is \"/ip4/127.0.0.1/tcp/1\""),
  );
  await assert.rejects(submit(config, { providers: [], aggregator: "x", ticket: "t" }), { code: "ZIPNET_CLIENT_CONFIG", message: /submit\.providers: expected at least one multiaddr/ });
});

test("read: bad providers are refused when the generator starts", async () => {
  const it = read(config, { providers: ["not a multiaddr"], ticket: "t" });
  await assert.rejects(it.next(), { code: "ZIPNET_CLIENT_CONFIG", message: /read\.providers\[0\]/ });
});

test("submit: nobody listening → ZIPNET_CLIENT_REGISTRATION, temporary, after the registration timeout", async () => {
  const host = await createLatticeHost({ secret: secretOf("client-params host") });
  try {
    const port = await freePort();
    const peer = await peerIdOfSecret(secretOf("absent server"));
    const addr = `/ip4/127.0.0.1/tcp/${port}/p2p/${peer}`;
    const t0 = Date.now();
    await assert.rejects(
      submit(config, { providers: [addr], aggregator: addr, ticket: "t", host, registerTimeoutMs: 600 }),
      (e: unknown) => e instanceof ZipnetClientError && e.code === "ZIPNET_CLIENT_REGISTRATION" && e.temporary && /any of 1 servers/.test(e.message),
    );
    assert.ok(Date.now() - t0 >= 600);
  } finally {
    await host.stop();
  }
});
