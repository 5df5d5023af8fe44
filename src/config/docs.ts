import { KEYS, type KeySpec } from './schema.js';

const show = (k: KeySpec) => (k.default === '' ? '' : String(k.default));

/** The README's configuration table (a test keeps README.md equal to this). */
export function configTable(): string {
  const rows = KEYS.map((k) => `| \`${k.path}\` | \`${k.env}\` | ${show(k) === '' ? '(empty)' : `\`${show(k)}\``} | ${k.doc} |`);
  return ['| key | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** config/idsync.example.yaml: every key, commented, at its default (a test keeps the file equal to this). */
export function exampleYaml(): string {
  const out: string[] = [
    '# idsync configuration. Copy to config/idsync.yaml (or point IDSYNC_CONFIG at a file).',
    '# Precedence: defaults < this file < IDSYNC_* environment variables.',
    '# Every key is shown with its default; delete what you do not change.',
  ];
  let section = '';
  for (const k of KEYS) {
    const parts = k.path.split('.');
    const top = parts.length > 1 ? parts[0]! : '';
    if (top !== section) {
      out.push('');
      if (top) out.push(`${top}:`);
      section = top;
    } else if (!top) out.push('');
    const indent = top ? '  ' : '';
    out.push(`${indent}# ${k.doc} (${k.env})`);
    out.push(`${indent}${parts.at(-1)}: ${yamlValue(k.default)}`);
  }
  return `${out.join('\n')}\n`;
}

function yamlValue(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  return v === '' ? '""' : /^[A-Za-z0-9_./-]+$/.test(v) && !/^(true|false|yes|no|null)$/i.test(v) ? v : JSON.stringify(v);
}
