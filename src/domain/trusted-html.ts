/**
 * HTML that is safe by construction. The only ways to make one are `html`
 * (a tagged template that escapes every interpolated value) and `escapeHtml`,
 * so user data (an organisation called `<script>…`) can only ever reach an
 * HTML part as text. Handlebars recognises `toHTML()` and inserts the value
 * without escaping it again, so templates never need a triple-stash.
 */
export class TrustedHtml {
  readonly #value: string;
  private constructor(value: string) {
    this.#value = value;
  }
  /** Only for this module and its tagged template. */
  static unsafeFromEscaped(value: string): TrustedHtml {
    return new TrustedHtml(value);
  }
  toHTML(): string {
    return this.#value;
  }
  toString(): string {
    return this.#value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;', '=': '&#61;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=]/g, (c) => ENTITIES[c] as string);
}

type HtmlValue = string | number | TrustedHtml | null | undefined | readonly HtmlValue[];

function part(v: HtmlValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof TrustedHtml) return v.toHTML();
  if (Array.isArray(v)) return v.map(part).join('');
  return escapeHtml(String(v));
}

/** html`<p>${userText}</p>`: literals are trusted, every value is escaped unless it is TrustedHtml already. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): TrustedHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += part(v) + (strings[i + 1] ?? '');
  });
  return TrustedHtml.unsafeFromEscaped(out);
}
