/**
 * A sentence the desk shows a person, in both languages it speaks. Templates
 * pick the one of the mail's language ({{problem.sq}} / {{problem.en}}), so
 * an Albanian mail never carries an English explanation.
 */
export interface Explanation {
  sq: string;
  en: string;
}

export function explain(sq: string, en: string): Explanation {
  return { sq, en };
}
