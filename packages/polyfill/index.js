// Node 20 lacks Promise.withResolvers (ES2024); libp2p 3, yamux, it-queue,
// mortice and prool call it. Without it the first inbound libp2p connection
// fails and the dialer only sees ECONNRESET. Import this module first in
// every entry point and via `--import` in every test runner.
if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve;
      let reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
export {};
