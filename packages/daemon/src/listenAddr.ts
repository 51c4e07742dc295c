/** A bound or requested TCP address (PROMETHEUS_ADDR, parsed and validated by parseRoleEnv). */
export interface ListenAddr {
  readonly host: string;
  readonly port: number;
}

/** host:port, with brackets around IPv6 hosts so the output parses back. */
export function formatListenAddr(addr: ListenAddr): string {
  return addr.host.includes(":") ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}
