// Bare URLs in text a platform reformats: a formatter changes the words around them, never a link (mentions broken or
// characters escaped inside one would break the link).

/** A bare http(s) URL, up to whitespace or an angle bracket. */
export const URL_RUN = /https?:\/\/[^\s<>]+/giu;

/** `change` applied to the text between bare URLs; the URLs are kept as they are. */
export function outsideUrls(text: string, change: (part: string) => string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(URL_RUN)) {
    out += change(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + change(text.slice(last));
}
