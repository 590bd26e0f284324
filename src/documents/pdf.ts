/**
 * Drawing an A4 document with pdfkit: every text goes through the font chain (src/documents/fonts.ts), so each
 * string is set in a font that has all its glyphs (the caller has checked them with assertPrintable first); a
 * footer carries the short code, the QR code to the public page and the space for the seal.
 */
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { formatDocumentCode } from '../domain/documentCode.js';
import type { FontChain } from './fonts.js';

export const A4 = { width: 595.28, height: 841.89 };
export const MARGIN = 56;
export const CONTENT_WIDTH = A4.width - 2 * MARGIN;

export interface DocumentFrame {
  title: string;
  code: string;
  /** The public page the QR code points to. */
  url: string;
  at: Date;
  chain: FontChain;
}

export interface Pdf {
  doc: PDFKit.PDFDocument;
  /** Sets the font that draws `text`, then returns the text (so `doc.text(pdf.t(s))`). */
  t(text: string): string;
  /** A paragraph. */
  para(text: string, opts?: PDFKit.Mixins.TextOptions & { size?: number }): void;
  /** A label: value line. */
  field(label: string, value: string): void;
  heading(text: string, size?: number): void;
  /** A table with the given column widths (points); rows are strings; breaks pages, repeating the header. */
  table(columns: { header: string; width: number }[], rows: string[][], size?: number): void;
  /** Signature places side by side: a label and a line each. */
  signatures(labels: string[]): void;
  /** The seal space (a dashed circle with the issuer's name under it) and the date, at the right. */
  seal(issuer: string, date: string): void;
  finish(): Promise<Buffer>;
}

export async function openPdf(frame: DocumentFrame): Promise<Pdf> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN + 40, left: MARGIN, right: MARGIN },
    info: { Title: frame.title, Producer: 'Doudi 兜底保障', Creator: 'Doudi', CreationDate: frame.at, ModDate: frame.at },
    bufferPages: true,
  });
  for (const f of frame.chain.fonts) doc.registerFont(f.name, f.bytes, f.postscriptName as string);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  const qr = await QRCode.toBuffer(frame.url, { type: 'png', errorCorrectionLevel: 'M', margin: 1, width: 240 });

  const t = (text: string) => {
    const f = frame.chain.fontFor(text) ?? frame.chain.fonts[0]!;
    doc.font(f.name);
    return text;
  };

  const pdf: Pdf = {
    doc,
    t,
    para(text, opts = {}) {
      const { size = 11, ...rest } = opts;
      doc.fontSize(size).text(t(text), { lineGap: 3, ...rest });
    },
    field(label, value) {
      doc.fontSize(11).text(t(`${label}：`), { continued: true, lineGap: 3 });
      doc.text(t(value || '—'), { lineGap: 3 });
    },
    heading(text, size = 18) {
      doc.fontSize(size).text(t(text), MARGIN, doc.y, { align: 'center', width: CONTENT_WIDTH });
      doc.moveDown(0.6);
    },
    table(columns, rows, size = 9.5) {
      const pad = 3;
      const drawRow = (cells: string[], header: boolean) => {
        doc.fontSize(size);
        const heights = cells.map((c, i) => doc.font((frame.chain.fontFor(c) ?? frame.chain.fonts[0]!).name).heightOfString(c, { width: columns[i]!.width - 2 * pad }));
        const h = Math.max(...heights) + 2 * pad;
        if (doc.y + h > A4.height - MARGIN - 40) {
          doc.addPage();
          if (!header) drawRow(columns.map((c) => c.header), true);
        }
        const y = doc.y;
        let x = MARGIN;
        cells.forEach((c, i) => {
          const w = columns[i]!.width;
          if (header) doc.rect(x, y, w, h).fillAndStroke('#eeeeee', '#000000').fillColor('#000000');
          else doc.rect(x, y, w, h).stroke();
          doc.text(t(c), x + pad, y + pad, { width: w - 2 * pad, lineBreak: true });
          x += w;
        });
        doc.x = MARGIN;
        doc.y = y + h;
      };
      doc.lineWidth(0.6);
      drawRow(columns.map((c) => c.header), true);
      for (const r of rows) drawRow(r, false);
      doc.moveDown(0.8);
    },
    signatures(labels) {
      doc.moveDown(1.5);
      const w = CONTENT_WIDTH / labels.length;
      const y = doc.y;
      labels.forEach((l, i) => {
        const x = MARGIN + i * w;
        doc.fontSize(11).text(t(l), x, y, { width: w - 10 });
        doc.moveTo(x, y + 46).lineTo(x + w - 16, y + 46).stroke();
        doc.fontSize(9).text(t('（签字 / 盖章）'), x, y + 50, { width: w - 10 });
        doc.text(t('日期：        年    月    日'), x, y + 64, { width: w - 10 });
      });
      doc.x = MARGIN;
      doc.y = y + 90;
    },
    seal(issuer, date) {
      if (doc.y + 130 > A4.height - MARGIN - 40) doc.addPage();
      const cx = A4.width - MARGIN - 80;
      const cy = doc.y + 50;
      doc.save().dash(3, { space: 3 }).lineWidth(0.8).circle(cx, cy, 42).stroke().restore();
      doc.fontSize(8).fillColor('#888888').text(t('（盖章处）'), cx - 42, cy - 4, { width: 84, align: 'center' }).fillColor('#000000');
      doc.fontSize(11).text(t(issuer), MARGIN, cy + 50, { width: CONTENT_WIDTH - 20, align: 'right' });
      doc.text(t(date), MARGIN, doc.y + 2, { width: CONTENT_WIDTH - 20, align: 'right' });
      doc.x = MARGIN;
    },
    async finish() {
      // The footer of every page: code, QR code, page number.
      const range = doc.bufferedPageRange();
      for (let i = range.start; i < range.start + range.count; i++) {
        doc.switchToPage(i);
        // The footer sits in the bottom margin: without this pdfkit would start a new page for it.
        doc.page.margins.bottom = 0;
        const y = A4.height - MARGIN - 30;
        doc.image(qr, MARGIN, y - 8, { width: 52 });
        doc.fontSize(8.5).text(t(`文书编号（核验码）：${formatDocumentCode(frame.code)}　扫描二维码或访问下列网址核验本文书`), MARGIN + 60, y, { width: CONTENT_WIDTH - 140, lineBreak: false, height: 12 });
        doc.fontSize(8).text(t(frame.url), MARGIN + 60, y + 14, { width: CONTENT_WIDTH - 60, lineBreak: false, height: 12 });
        doc.fontSize(8.5).text(t(`第 ${i - range.start + 1} 页 / 共 ${range.count} 页`), A4.width - MARGIN - 80, y, { width: 80, align: 'right', lineBreak: false, height: 12 });
      }
      doc.end();
      await ended;
      return Buffer.concat(chunks);
    },
  };
  return pdf;
}
