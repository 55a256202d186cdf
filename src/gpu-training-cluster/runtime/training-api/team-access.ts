/**
 * Who may use a team: the API Gateway IAM caller (an STS assumed-role session or an IAM user ARN)
 * against the team's `submitters`. A session matches a role ARN by partition, account and role
 * name (session ARNs carry no role path; role names are unique per account whatever their path),
 * the same rule the model registry applies to approvers; a user ARN must match exactly.
 */
import { HttpError } from '../../../core/runtime/http-app';
import { isApprover as isSessionOfOneOf } from '../../../model-registry/runtime/identity';
import type { TrainingApiConfig, TrainingApiTeam } from './config';

/** True when `principal` is one of the team's submitters. */
export function isTeamSubmitter(principal: string, team: Pick<TrainingApiTeam, 'submitters'>): boolean {
  return team.submitters.includes(principal) || isSessionOfOneOf(principal, team.submitters);
}

/**
 * The team named `name` when `principal` may use it: 403 `permission_denied` without a caller,
 * 404 `unknown_team` for a team the API does not serve, 403 `permission_denied` for a caller who
 * is not one of its submitters.
 */
export function authorizeTeam(config: Pick<TrainingApiConfig, 'teams'>, name: string, principal: string | undefined): TrainingApiTeam {
  if (!principal) throw new HttpError(403, 'permission_denied', 'the request carries no authenticated caller identity');
  const team = config.teams.find((t) => t.name === name);
  if (!team) throw new HttpError(404, 'unknown_team', `team '${name}' is not served by this API`);
  if (!isTeamSubmitter(principal, team)) throw new HttpError(403, 'permission_denied', `the caller may not use team '${name}'`);
  return team;
}
