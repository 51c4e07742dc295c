// The loopback port helper lives in @builder/net; re-exported under the name the e2e suite uses.
export { freeLoopbackPort as freePort } from "@builder/net";
