/**
 * The DynamoDB transaction proxy in front of dynalite lives with `gaiops dev`, which runs on it too:
 * one implementation for the playground and the runtime tests.
 */
export { type TransactionalDynamo, startTransactionalDynamo } from '../../../../src/cli/dev/transactional-dynamo';
