/**
 * The reader's cues are data: one file per language, each entry a regular
 * expression on folded text (lower case, diacritics removed: "anëtarësohemi"
 * is read as "anetaresohemi") and a sentence of its own in which that cue
 * decides the reading. tests/unit/understand/cues.test.ts reads every entry's
 * example through the reader, so a cue that stops doing its job fails there.
 *
 * A request is a wish or decision cue plus a membership object, in the
 * sender's own new text. Albanian verbs are matched by stem with the endings
 * of every mood and tense that a sender uses for itself (present, subjunctive,
 * conditional, imperfect subjunctive, optative, future, participle, Gheg
 * infinitive) and never the second person, which asks the reader to join.
 */
export interface Cue {
  /** Regular-expression source, matched on folded text. */
  re: string;
  /** A sentence in which this cue decides the reading. */
  example: string;
}

export interface LanguageCues {
  /** The act of joining or signing, by the sender or its organisation. */
  join: Cue[];
  /** "Add us", "na shtoni", "count us in": a request to the reader about the sender, a wish by itself. */
  joinUs: Cue[];
  /** A wish, request or decision of the sender ("we would like", "dëshirojmë", "interesi ynë"). */
  wish: Cue[];
  /** What is joined: the coalition, the statement, its list of signatories, OGP. */
  object: Cue[];
  /** The sender speaks for itself ("we", "our", "ne", first-person verb endings). */
  firstPerson: Cue[];
  /** The reader is asked to join or sign: an invitation, a petition, someone else's statement. */
  readerJoins: Cue[];
  /** Joining something other than the coalition: a meeting, a call, a mailing list, as an observer. */
  otherObject: Cue[];
  /** A negation in front of the join verb ("we cannot sign", "nuk do të bashkohemi"). */
  negation: Cue[];
  /** Considering, asking how, conditions: no wish has been stated yet. */
  deliberation: Cue[];
  /** A question about the conditions or the procedure. */
  conditionQuestion: Cue[];
  /** Already a member, thanks for accepting: nothing is asked. */
  already: Cue[];
  /** Membership is said not to be needed. */
  notRequired: Cue[];
  /** Leaving, being removed, suspending. */
  withdraw: Cue[];
  /** Leaving something else: a mailing list, a typo to correct, a law withdrawn. */
  withdrawNot: Cue[];
}

/** One alternation of the entries of a role, or a pattern that never matches when there are none. */
export function compile(cues: Cue[], flags = ''): RegExp {
  if (cues.length === 0) return /(?!)/;
  return new RegExp(cues.map((c) => `(?:${c.re})`).join('|'), flags);
}
