import type { DaemonContext, RoleHandle, RoleStart } from "@builder/daemon";

/**
 * The role start every executable uses until its organism lands. It runs
 * the shared runtime (env, secrets, logs, metrics, /readyz, drain on
 * SIGTERM) and reports `<org>_member_up 1`, but joins no committee and
 * commits nothing: the organism node (DESIGN §4: src/node.ts of each
 * organism package) replaces this function in the organism's own issue.
 */
export const readyOnlyRole: RoleStart = async (ctx: DaemonContext): Promise<RoleHandle> => {
  ctx.metrics.memberUp.set(1);
  ctx.markReady();
  ctx.logger.info({ organism: ctx.env.organism, committeeLogic: false }, "role runtime ready; organism logic is not part of this build");
  return {
    stop: async () => {
      ctx.metrics.memberUp.set(0);
    },
  };
};
