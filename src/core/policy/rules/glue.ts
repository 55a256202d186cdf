import type { PolicyRule } from '../types';
import { firstBlock, isExpression, isSet, isTrue, show } from './helpers';

/**
 * True when a location names S3 (`s3://…`), or is a single Terraform expression whose value is
 * unknown at synth (then nothing can be said about it).
 */
function isS3Location(value: string): boolean {
  if (value.startsWith('s3://')) return true;
  return isExpression(value) && /^\$\{[^}]*\}$/.test(value.trim());
}

/** Problems with a location-valued attribute (`name` in messages). */
function locationProblems(value: unknown, name: string): string[] {
  if (!isSet(value)) return [`${name} is not set, so the table does not say where its data lives`];
  if (typeof value !== 'string' || !isS3Location(value)) {
    return [`${name} is ${show(value)}, not an s3:// URI, so the data's bucket (its policy, encryption and logs) cannot be known or reviewed`];
  }
  return [];
}

/** Iceberg (and other open-table-format) tables describe their files in table metadata, not with a SerDe. */
function isOpenTableFormat(config: Readonly<Record<string, unknown>>): boolean {
  if (isSet(config.open_table_format_input)) return true;
  const parameters = (config.parameters ?? {}) as Record<string, unknown>;
  const format = parameters.table_type ?? parameters.TABLE_TYPE;
  return typeof format === 'string' && format.toUpperCase() === 'ICEBERG';
}

export const glueTableLocationAndSerde: PolicyRule = {
  id: 'GAI-GLUE-001',
  severity: 'error',
  title: 'Glue catalog tables declare an s3:// storage location and a SerDe',
  rationale:
    'A table\'s location is what every engine (Athena, Glue jobs, EMR) reads and, for INSERT or CTAS, writes: an explicit s3:// URI ties the table to a bucket whose policy, encryption and access logs can be reviewed, and — with partition projection — storage.location.template decides every path queried. Without a SerDe, engines fall back to LazySimpleSerDe and silently misread JSON or CSV files as empty or shifted columns.',
  fix: 'Set storage_descriptor { location = "s3://<bucket>/<prefix>/", ser_de_info { serialization_library = "<SerDe class>" } } on the aws_glue_catalog_table (e.g. org.openx.data.jsonserde.JsonSerDe for JSON Lines), and an s3:// storage.location.template when projection.enabled is true; FeatureStore writes such tables.',
  appliesTo: ['aws_glue_catalog_table'],
  check: (table) => {
    const config = table.config;
    if (config.table_type === 'VIRTUAL_VIEW') return [];
    const sd = firstBlock(config.storage_descriptor);
    if (!sd) return ['has no storage_descriptor block, so the table has neither a location nor a SerDe'];
    const problems = locationProblems(sd.location, 'storage_descriptor.location');
    const parameters = (config.parameters ?? {}) as Record<string, unknown>;
    if (isTrue(parameters['projection.enabled']) && parameters['storage.location.template'] !== undefined) {
      problems.push(...locationProblems(parameters['storage.location.template'], 'parameters["storage.location.template"]'));
    }
    if (!isOpenTableFormat(config) && !isSet(firstBlock(sd.ser_de_info)?.serialization_library)) {
      problems.push('storage_descriptor.ser_de_info.serialization_library is not set, so engines cannot tell how to parse the files');
    }
    return problems;
  },
};

export const GLUE_RULES: readonly PolicyRule[] = [glueTableLocationAndSerde];
