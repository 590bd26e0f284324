/**
 * The fonts documents print with, and the check that every character can be drawn.
 *
 * Chinese must print on a fresh machine after `npm install` alone, so one font always comes from an npm package:
 * Noto Sans SC (Google Fonts' build, SIL OFL 1.1) from @expo-google-fonts/noto-sans-sc, a TrueType font that
 * pdfkit's fontkit embeds with subsetting (only the glyphs used go into the PDF). A system font is preferred when the
 * machine has one: Debian's fonts-noto-cjk (Noto Sans CJK SC, a .ttc collection), which also covers CJK Extension B
 * (e.g. 𠀾 U+2003E) where the package's font stops at Extension A (䶮 U+4DAE prints, 𠀾 does not).
 *
 * The fonts form an ordered chain (system first, then the package). A text is drawn with the first font of the
 * chain that has a glyph for every one of its characters; when none has, the document is refused before anything
 * is printed (DOCUMENT_CHARACTER_UNPRINTABLE, naming the character and the field and person it is in). A legal
 * notice never shows a blank box (tofu) where a name should be.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import { errors } from '../errors.js';

export interface FontSource {
  /** Registered under this name in each PDF. */
  name: string;
  /** 'system' (installed on the machine) or 'package' (shipped by an npm package). */
  origin: 'system' | 'package';
  path: string;
  /** For a font collection (.ttc): which of its fonts. */
  postscriptName?: string;
}

export interface LoadedFont extends FontSource {
  bytes: Buffer;
  font: fontkit.Font;
}

const require = createRequire(import.meta.url);

/** Debian's Noto Sans CJK (package fonts-noto-cjk), Simplified Chinese face of the collection. */
export const SYSTEM_FONTS: readonly FontSource[] = [
  { name: 'NotoSansCJKsc', origin: 'system', path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', postscriptName: 'NotoSansCJKsc-Regular' },
];

/** The font every installation has: Noto Sans SC Regular from @expo-google-fonts/noto-sans-sc (pinned). */
export const PACKAGE_FONT: FontSource = {
  name: 'NotoSansSC',
  origin: 'package',
  path: require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf'),
};

export interface FontChain {
  fonts: readonly LoadedFont[];
  /** The first font that draws every character of `text`, or null. */
  fontFor(text: string): LoadedFont | null;
}

const loaded = new Map<string, LoadedFont>();

function load(source: FontSource): LoadedFont {
  const key = `${source.path}#${source.postscriptName ?? ''}`;
  let font = loaded.get(key);
  if (!font) {
    font = { ...source, bytes: readFileSync(source.path), font: fontkit.openSync(source.path, source.postscriptName) };
    loaded.set(key, font);
  }
  return font;
}

/** Characters that are not drawn and need no glyph: line breaks and tabs (pdfkit lays them out). */
const LAYOUT = new Set([0x0a, 0x0d, 0x09]);

export function fontChain(sources: readonly FontSource[]): FontChain {
  if (sources.length === 0) throw new Error('a font chain needs at least one font');
  const fonts = sources.map(load);
  const draws = (f: LoadedFont, text: string) => {
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (!LAYOUT.has(cp) && !f.font.hasGlyphForCodePoint(cp)) return false;
    }
    return true;
  };
  return { fonts, fontFor: (text) => fonts.find((f) => draws(f, text)) ?? null };
}

/** The chain this machine prints with: each system font that is installed, then the package's font. */
export function defaultFontChain(): FontChain {
  return fontChain([...SYSTEM_FONTS.filter((f) => existsSync(f.path)), PACKAGE_FONT]);
}

/** One text that will be printed, and whose it is (for the refusal). */
export interface PrintedText {
  text: string;
  /** What the text is, in Chinese: 姓名, 监护人姓名, 不予认定理由… */
  field: string;
  /** The person it names or belongs to, when there is one (a name as stored; may be the text itself). */
  person?: string;
}

/**
 * Refuses the document when a text cannot be drawn by any single font of the chain: names the first character no
 * font draws (or, when each character has some font but no font has them all, the first one the first font lacks).
 */
export function assertPrintable(chain: FontChain, texts: readonly PrintedText[]): void {
  for (const t of texts) {
    if (chain.fontFor(t.text)) continue;
    const chars = [...t.text];
    const bad = chars.find((ch) => !chain.fonts.some((f) => f.font.hasGlyphForCodePoint(ch.codePointAt(0)!))) ?? chars.find((ch) => !chain.fonts[0]!.font.hasGlyphForCodePoint(ch.codePointAt(0)!))!;
    throw errors.documentCharacterUnprintable({
      character: bad,
      codePoint: `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
      field: t.field,
      person: t.person ?? null,
      fonts: chain.fonts.map((f) => f.font.postscriptName),
    });
  }
}
