import type { TSchema } from 'typebox';
import { ConfigSchema } from './schema.js';
import { envOverrides } from './load.js';

export interface ConfigKeyDoc {
  key: string;
  type: string;
  default: string;
  env: string;
  description: string;
}

interface SchemaNode {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  properties?: Record<string, SchemaNode>;
}

/** Every leaf key of the configuration schema with its default, env override and reason. */
export function configKeys(schema: TSchema = ConfigSchema): ConfigKeyDoc[] {
  const out: ConfigKeyDoc[] = [];
  const walk = (node: SchemaNode, prefix: string) => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (child.type === 'object' && child.properties) {
        walk(child, key);
        continue;
      }
      out.push({
        key,
        type: child.enum ? child.enum.map((v) => String(v)).join(' \\| ') : (child.type ?? 'object'),
        default: JSON.stringify(child.default ?? null),
        env: envOverrides.find((e) => e.path === key)?.env ?? '',
        description: child.description ?? '',
      });
    }
  };
  walk(schema as unknown as SchemaNode, '');
  return out;
}

export function configTableMarkdown(): string {
  const rows = configKeys().map((k) => `| \`${k.key}\` | ${k.type} | \`${k.default.replace(/\|/g, '\\|')}\` | ${k.env ? `\`${k.env}\`` : ''} | ${k.description} |`);
  return ['| key | type | default | environment | why |', '|---|---|---|---|---|', ...rows].join('\n');
}
