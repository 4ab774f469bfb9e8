/** JSON schema of a stack file: function fields use the names of the Function CRD spec. */
import { FUNCTION_MODES } from '../../common/function-types.js';

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const duration = { type: 'string', minLength: 1 } as const;
const quantities = {
  type: 'object',
  additionalProperties: false,
  properties: { cpu: { type: 'string' }, memory: { type: 'string' } },
} as const;

/** Schema of one function entry; `name` comes from its key in `functions`. */
export const functionEntrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['handler'],
  properties: {
    image: { type: 'string', minLength: 1 },
    handler: { type: 'string', minLength: 1 },
    mode: { enum: [...FUNCTION_MODES] },
    environment: stringMap,
    labels: stringMap,
    annotations: stringMap,
    secrets: { type: 'array', items: { type: 'string', minLength: 1 } },
    constraints: { type: 'array', items: { type: 'string', pattern: '^[^=]+=.*$' } },
    limits: quantities,
    requests: quantities,
    readOnlyRootFilesystem: { type: 'boolean' },
    replicas: { type: 'integer', minimum: 0 },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      properties: { read: duration, write: duration, exec: duration },
    },
    queue: { type: 'string', minLength: 1 },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: { maxAttempts: { type: 'integer', minimum: 1 }, minBackoff: duration, maxBackoff: duration },
    },
    maxEventAge: duration,
  },
} as const;

/** Schema of the whole stack file. */
export const stackFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['functions'],
  properties: {
    version: { enum: [1, '1'] },
    functions: { type: 'object', additionalProperties: functionEntrySchema },
  },
} as const;
