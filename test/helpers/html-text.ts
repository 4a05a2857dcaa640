// What a chat client shows of the HTML a bot sent (Telegram's HTML parse mode, Matrix's formatted_body): line
// breaks kept, tags dropped, the five entities the formatters write decoded.
const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' };

export function htmlText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gu, '\n')
    .replace(/<[^>]*>/gu, '')
    .replace(/&(lt|gt|quot|#39|amp);/gu, (e) => ENTITIES[e]!);
}

/** An entity-encoded attribute value, decoded. */
export const htmlAttribute = (value: string): string => value.replace(/&(lt|gt|quot|#39|amp);/gu, (e) => ENTITIES[e]!);
