// fontkit (pdfkit's font engine) ships no declaration; src/documents/fonts.ts uses only this much of it.
declare module 'fontkit' {
  export interface Font {
    postscriptName: string;
    numGlyphs: number;
    hasGlyphForCodePoint(codePoint: number): boolean;
  }
  export function openSync(path: string, postscriptName?: string): Font;
}
