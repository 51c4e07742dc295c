import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { peerKeyFromSecret } from "@builder/net";

/** The libp2p peer id a member secret yields (what the voter list names). */
export async function peerIdOfSecret(secret: Uint8Array): Promise<string> {
  return peerIdFromPrivateKey(await peerKeyFromSecret(secret)).toString();
}
