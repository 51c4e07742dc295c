// Membership changes as pure functions over ConfState (Raft dissertation §4.1:
// one server at a time). validate runs at proposal time and explains refusals;
// apply runs at apply time and must be total and deterministic, so a change
// that no longer fits (the configuration moved on) is a no-op there.
import { ConfChangeError } from "../errors.js";
import type { ConfChange, ConfState, NodeId } from "../types.js";

function without(list: readonly NodeId[], id: NodeId): NodeId[] {
  return list.filter((x) => x !== id);
}

export function validateConfChange(conf: ConfState, cc: ConfChange): void {
  const isVoter = (id: NodeId) => conf.voters.includes(id);
  const isLearner = (id: NodeId) => conf.learners.includes(id);
  switch (cc.type) {
    case "addLearner":
      if (isVoter(cc.node) || isLearner(cc.node)) throw new ConfChangeError(`Cannot add learner ${cc.node}: it is already a member (voters ${conf.voters.join(",")}; learners ${conf.learners.join(",")}).`);
      return;
    case "promoteLearner":
      if (!isLearner(cc.node)) throw new ConfChangeError(`Cannot promote ${cc.node}: it is not a learner (learners: ${conf.learners.join(",") || "none"}). Add it with addLearner first.`);
      return;
    case "removeNode":
      if (!isVoter(cc.node) && !isLearner(cc.node)) throw new ConfChangeError(`Cannot remove ${cc.node}: it is not a member.`);
      if (isVoter(cc.node) && conf.voters.length === 1) throw new ConfChangeError(`Cannot remove ${cc.node}: it is the last voter.`);
      return;
    case "replaceVoter":
      if (!isVoter(cc.remove)) throw new ConfChangeError(`Cannot replace ${cc.remove}: it is not a voter (voters: ${conf.voters.join(",")}).`);
      if (isVoter(cc.add)) throw new ConfChangeError(`Cannot replace ${cc.remove} with ${cc.add}: ${cc.add} is already a voter.`);
      if (cc.add === cc.remove) throw new ConfChangeError(`Cannot replace ${cc.remove} with itself.`);
      return;
  }
}

export function applyConfChangeTo(conf: ConfState, cc: ConfChange): ConfState {
  let voters = conf.voters.slice();
  let learners = conf.learners.slice();
  let auto = (conf.autoPromote ?? []).slice();
  switch (cc.type) {
    case "addLearner":
      if (!voters.includes(cc.node) && !learners.includes(cc.node)) learners.push(cc.node);
      break;
    case "promoteLearner":
      if (learners.includes(cc.node)) {
        learners = without(learners, cc.node);
        voters.push(cc.node);
      }
      auto = without(auto, cc.node);
      break;
    case "removeNode":
      if (voters.length > 1 || !voters.includes(cc.node)) voters = without(voters, cc.node);
      learners = without(learners, cc.node);
      auto = without(auto, cc.node);
      break;
    case "replaceVoter":
      // Step one of two: the old identity leaves, the new one joins as a
      // learner that the leader promotes once caught up (see types.ts).
      if (voters.includes(cc.remove) && !voters.includes(cc.add) && voters.length > 1) {
        voters = without(voters, cc.remove);
        if (!learners.includes(cc.add)) learners.push(cc.add);
        if (!auto.includes(cc.add)) auto.push(cc.add);
      }
      break;
  }
  return auto.length > 0 ? { voters, learners, autoPromote: auto } : { voters, learners };
}
