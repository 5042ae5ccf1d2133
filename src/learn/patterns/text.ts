/** Words for full-text search, from identifiers and from free text, and a safe FTS5 query built from them. */

const STOPWORDS: ReadonlySet<string> = new Set([
  "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "its", "of", "on",
  "or", "the", "this", "that", "to", "with", "self", "cls", "def", "return", "none", "true", "false", "if", "else",
  "not", "use", "uses", "using", "will", "should", "must", "can", "all", "each", "when", "which", "then", "than",
]);

/** Most terms a query may carry: enough for a spec's description, few enough to keep matching cheap. */
export const MAX_QUERY_TERMS = 24;

/**
 * Splits text into lower-case words: on anything that is not a letter or digit, on underscores, and on
 * case changes inside identifiers (`HttpHook` → http hook, `S3KeySensor` → s3 key sensor,
 * `getConnection` → get connection). Stopwords and one-letter words are dropped.
 */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const chunk of text.split(/[^A-Za-z0-9]+/)) {
    if (chunk === "") continue;
    const parts = chunk
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
      .split(" ");
    for (const part of parts) {
      const word = part.toLowerCase();
      if (word.length < 2 || STOPWORDS.has(word) || /^\d+$/.test(word)) continue;
      out.push(word);
    }
  }
  return out;
}

export function uniqueWords(texts: readonly string[], cap = Infinity): string[] {
  const seen = new Set<string>();
  for (const text of texts) {
    for (const word of words(text)) {
      if (seen.size >= cap) return [...seen];
      seen.add(word);
    }
  }
  return [...seen];
}

/**
 * An FTS5 MATCH expression from free text: each distinct word becomes a double-quoted string (so no
 * word can act as FTS syntax: NEAR, AND, column filters, `*`, `^`), joined by OR, at most `maxTerms`.
 * Words are already [a-z0-9] only, so quoting needs no escaping. Returns undefined when no word is left.
 */
export function ftsQuery(text: string, maxTerms = MAX_QUERY_TERMS): { query: string; terms: string[] } | undefined {
  const terms = uniqueWords([text], maxTerms);
  if (terms.length === 0) return undefined;
  return { query: terms.map((t) => `"${t}"`).join(" OR "), terms };
}
