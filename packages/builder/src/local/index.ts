export { ensureSecrets, freshSecret, secretFilesFor, type EnsuredSecrets, type SecretFileSpec, type SecretKind } from "./secrets.js";
export { roleEnvFor, renderEnvFile, RoleEnvBuildError, type RoleEnvOptions } from "./role-env.js";
