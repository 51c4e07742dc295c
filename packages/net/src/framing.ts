// Length-prefixed framing over a libp2p stream with a size limit and byte
// accounting (`net_bytes_total{direction}`), shared by every protocol here.
import { lpStream } from "@libp2p/utils";
import type { Stream, AbortOptions } from "@libp2p/interface";
import { NET_METRICS, type NetMetrics } from "./metrics.js";

export interface Framed {
  read(options?: AbortOptions): Promise<Uint8Array>;
  write(data: Uint8Array, options?: AbortOptions): Promise<void>;
  readonly stream: Stream;
}

export function framed(stream: Stream, maxDataLength: number, metrics?: NetMetrics): Framed {
  const lp = lpStream(stream, { maxDataLength });
  return {
    stream,
    async read(options) {
      const msg = (await lp.read(options)).subarray();
      metrics?.inc(NET_METRICS.bytes, { direction: "in" }, msg.length);
      return msg;
    },
    async write(data, options) {
      await lp.write(data, options);
      metrics?.inc(NET_METRICS.bytes, { direction: "out" }, data.length);
    },
  };
}
