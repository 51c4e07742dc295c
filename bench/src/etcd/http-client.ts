// The one HTTP client both sides of the bench use: JSON over keep-alive
// connections (etcd's v3 JSON gateway and the committee members' endpoint
// share the request shape), so the client hop costs the same for both.
import { Agent, request } from "node:http";

export class HttpJsonClient {
  private readonly agent: Agent;

  constructor(maxSockets = 128) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  post<T>(url: string, body: unknown): Promise<T> {
    return this.send<T>("POST", url, JSON.stringify(body));
  }

  get<T>(url: string): Promise<T> {
    return this.send<T>("GET", url, undefined);
  }

  close(): void {
    this.agent.destroy();
  }

  private send<T>(method: string, url: string, payload: string | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if ((res.statusCode ?? 0) >= 300) return reject(new Error(`${method} ${url}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(new Error(`${method} ${url}: response is not JSON: ${text.slice(0, 100)}`));
            }
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }
}
