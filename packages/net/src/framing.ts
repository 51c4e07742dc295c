// Length-prefixed framing over a libp2p stream with a size limit and byte
// accounting (`net_bytes_total{direction}`), shared by every protocol here.
//
// Writes put the length prefix and the payload in ONE buffer: js-libp2p sends
// every chunk it is handed as its own Yamux frame and Noise message (two
// socket writes each), so lpStream's write, which hands over prefix and
// payload as two chunks, doubles the writes of every message (see
// docs/committee.md). Reads still go through lpStream, which understands the
// same unsigned-varint prefix.
import { lpStream } from "@libp2p/utils";
import { AbortError, StreamStateError, type Stream, type AbortOptions, type StreamCloseEvent } from "@libp2p/interface";
import { NET_METRICS, type NetMetrics } from "./metrics.js";
import { varintLength, writeVarint } from "./raft-transport/varint.js";

export interface Framed {
  read(options?: AbortOptions): Promise<Uint8Array>;
  write(data: Uint8Array, options?: AbortOptions): Promise<void>;
  readonly stream: Stream;
}

/** `data` with its unsigned-varint length prefix, in one buffer. */
export function withLengthPrefix(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(data.length) + data.length);
  out.set(data, writeVarint(out, 0, data.length));
  return out;
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
      await sendBuffer(stream, withLengthPrefix(data), options);
      metrics?.inc(NET_METRICS.bytes, { direction: "out" }, data.length);
    },
  };
}

/** stream.send, then, if its buffer is full, wait for 'drain' (or fail on close/abort), as @libp2p/utils' byteStream does. */
async function sendBuffer(stream: Stream, buf: Uint8Array, options?: AbortOptions): Promise<void> {
  if (stream.send(buf)) return;
  const signal = options?.signal;
  signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.removeEventListener("drain", onDrain);
      stream.removeEventListener("close", onClose);
      signal?.removeEventListener("abort", onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = (): void => done();
    const onClose = (evt: Event): void =>
      done((evt as StreamCloseEvent).error ?? new StreamStateError(`stream ${stream.protocol ?? ""} closed before a ${buf.length}-byte frame was written`));
    const onAbort = (): void => done(signal?.reason instanceof Error ? signal.reason : new AbortError());
    stream.addEventListener("drain", onDrain);
    stream.addEventListener("close", onClose);
    signal?.addEventListener("abort", onAbort);
  });
}
