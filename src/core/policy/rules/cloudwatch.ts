import type { PolicyRule } from '../types';
import { isExpression, isSet, show } from './helpers';

export const alarmHasActions: PolicyRule = {
  id: 'GAI-CW-001',
  severity: 'warning',
  title: 'CloudWatch metric alarms notify someone: at least one alarm action, actions enabled',
  rationale:
    'An alarm without an alarm action changes state in the console and nobody hears it: it is noise that looks like monitoring. Every alarm should page or notify (an SNS topic, an auto-scaling or Systems Manager action).',
  fix: 'Set alarm_actions = [<SNS topic ARN>, …] on the aws_cloudwatch_metric_alarm (and leave actions_enabled unset or true); the gaiops observability alarms publish to the alarms topic.',
  appliesTo: ['aws_cloudwatch_metric_alarm'],
  check: (alarm) => {
    const { alarm_actions: actions, actions_enabled: enabled } = alarm.config;
    const problems: string[] = [];
    // An expression (a variable list) is judged at apply time.
    const hasAction = isExpression(actions) || (Array.isArray(actions) && actions.some((a) => isSet(a)));
    if (!hasAction) problems.push(`alarm_actions is ${Array.isArray(actions) && actions.length > 0 ? show(actions) : 'empty or not set'}, so nobody is notified when the alarm fires`);
    if (enabled === false || enabled === 'false') problems.push('actions_enabled is false, so the alarm actions never run');
    return problems;
  },
};

/** The CloudWatch alarm rules of the policy pack. */
export const CLOUDWATCH_RULES: readonly PolicyRule[] = [alarmHasActions];
