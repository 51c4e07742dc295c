import { randomBytes } from "node:crypto";
import { createLatticeHost, type LatticeHost } from "@builder/net";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { ZipnetClientError } from "./errors.js";

/** A caller's host, or a fresh one with a throw-away identity (ours to stop). */
export async function clientHost(host: LatticeHost | undefined): Promise<{ host: LatticeHost; owned: boolean }> {
  if (host) return { host, owned: false };
  return { host: await createLatticeHost({ secret: new Uint8Array(randomBytes(32)) }), owned: true };
}

export function parseTargets(field: string, addrs: readonly string[]): Multiaddr[] {
  if (addrs.length === 0) throw new ZipnetClientError("ZIPNET_CLIENT_CONFIG", `${field}: expected at least one multiaddr ending in /p2p/<peer id>, got none.`, { field });
  return addrs.map((a, i) => {
    try {
      const m = multiaddr(a);
      if (!a.includes("/p2p/")) throw new Error("no /p2p/ suffix");
      return m;
    } catch (err) {
      throw new ZipnetClientError("ZIPNET_CLIENT_CONFIG", `${field}[${i}] is ${JSON.stringify(a)}; expected a multiaddr ending in /p2p/<peer id> (${(err as Error).message}).`, { field, index: i });
    }
  });
}
