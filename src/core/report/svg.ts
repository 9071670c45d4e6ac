/**
 * A serialized SVG made standalone for a paper: an XML declaration, a `<title>` (what screen
 * readers and file browsers show), a `viewBox` so it scales in LaTeX and Inkscape, and the
 * background as the first shape, so a transparent drawing never lands on a dark page.
 */

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}

export interface SvgMeta {
  readonly title: string;
  readonly background: string;
  readonly width: number;
  readonly height: number;
}

export function standaloneSvg(svg: string, meta: SvgMeta): string {
  const start = /^\s*(?:<\?xml[^>]*\?>\s*)?<svg\b([^>]*?)(\/?)>/.exec(svg);
  if (!start) throw new Error('not an SVG document: it does not start with an <svg> element');
  let attributes = start[1];
  if (!/\sxmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(attributes))
    attributes += ' xmlns="http://www.w3.org/2000/svg"';
  if (!/\sviewBox=/.test(attributes)) attributes += ` viewBox="0 0 ${meta.width} ${meta.height}"`;
  const head =
    `<title>${xmlEscape(meta.title)}</title>` +
    `<rect x="0" y="0" width="${meta.width}" height="${meta.height}" fill="${xmlEscape(meta.background)}"/>`;
  const rest = svg.slice(start[0].length);
  const body = start[2] === '/' ? `${head}</svg>` : `${head}${rest}`;
  return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<svg${attributes}>${body}\n`;
}
