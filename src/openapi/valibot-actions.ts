import type { JsonSchema, Node } from './from-valibot';

/**
 * A pipe's actions as JSON Schema keywords. Validations become constraints, metadata becomes
 * annotations; `toNumber` (a query string read as a number) turns the type into a number,
 * trimming and case changes leave the input's shape alone, and any other transformation ends
 * the description: what follows it constrains the output, not what the client sends.
 */
export function applyActions(out: JsonSchema, actions: readonly Node[]): void {
  for (const action of actions) {
    if (action.kind === 'transformation') {
      if (action.type === 'to_number') {
        replaceType(out, 'number');
        continue;
      }
      // trim and the like leave the input's shape as it is; anything else ends the description.
      if (action.type === 'trim' || action.type === 'to_lower_case' || action.type === 'to_upper_case') continue;
      return;
    }
    const r = action.requirement;
    switch (action.type) {
      case 'min_length':
        out[out.type === 'array' ? 'minItems' : 'minLength'] = r;
        break;
      case 'max_length':
        out[out.type === 'array' ? 'maxItems' : 'maxLength'] = r;
        break;
      case 'length':
        out[out.type === 'array' ? 'minItems' : 'minLength'] = r;
        out[out.type === 'array' ? 'maxItems' : 'maxLength'] = r;
        break;
      case 'non_empty':
        out[out.type === 'array' ? 'minItems' : 'minLength'] = 1;
        break;
      case 'regex':
        if (r instanceof RegExp) out.pattern = r.source;
        break;
      case 'email':
        out.format = 'email';
        break;
      case 'url':
        out.format = 'uri';
        break;
      case 'iso_timestamp':
        out.format = 'date-time';
        break;
      case 'iso_date':
        out.format = 'date';
        break;
      case 'integer':
        replaceType(out, 'integer');
        break;
      case 'min_value':
        out.minimum = r;
        break;
      case 'max_value':
        out.maximum = r;
        break;
      case 'description':
        out.description = action.description;
        break;
      case 'title':
        out.title = action.title;
        break;
      case 'examples':
        out.examples = [...(action.examples ?? [])];
        break;
      case 'metadata':
        Object.assign(out, action.metadata ?? {});
        break;
      // `check` and other custom rules cannot be said in JSON Schema; descriptions say them.
    }
  }
}

function replaceType(out: JsonSchema, type: 'number' | 'integer'): void {
  delete out.pattern;
  delete out.minLength;
  delete out.maxLength;
  delete out.format;
  out.type = type;
}
