/**
 * Charts for the report pages: Apache ECharts rendered on the server to SVG markup (renderer 'svg', ssr true),
 * embedded in the page as inline SVG — no client script (the console's CSP forbids inline scripts, and none is
 * needed to show a figure). Animation is off so the first frame is the final one. Labels are zh-CN.
 */
import * as echarts from 'echarts';

const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';
const COLOURS = ['#1f5fa8', '#c2410c', '#15803d', '#7c3aed', '#a16207', '#0e7490'];

/** ECharts writes text into SVG markup; keep tags and entities out of labels that came from the database. */
const plain = (s: string) => s.replace(/[<>&"']/g, '');

function render(option: echarts.EChartsCoreOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, color: COLOURS, textStyle: { fontFamily: FONT }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

export interface BarSeries {
  name: string;
  data: number[];
}

/** Bars per category (one series, or several side by side / stacked), values on the bars. */
export function barChart(opts: { title: string; categories: string[]; series: BarSeries[]; stacked?: boolean; horizontal?: boolean; width?: number; height?: number }): string {
  const categoryAxis = { type: 'category' as const, data: opts.categories.map(plain), axisLabel: { interval: 0, fontSize: 12 } };
  const valueAxis = { type: 'value' as const, minInterval: 1 };
  return render(
    {
      title: { text: plain(opts.title), left: 'center', textStyle: { fontSize: 15, fontFamily: FONT } },
      legend: opts.series.length > 1 ? { top: 36, data: opts.series.map((s) => plain(s.name)) } : undefined,
      grid: { left: opts.horizontal ? 110 : 50, right: 30, top: opts.series.length > 1 ? 76 : 48, bottom: 40 },
      xAxis: opts.horizontal ? valueAxis : categoryAxis,
      yAxis: opts.horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
      series: opts.series.map((s) => ({
        name: plain(s.name),
        type: 'bar',
        data: s.data,
        stack: opts.stacked ? 'all' : undefined,
        barMaxWidth: 48,
        label: { show: !opts.stacked, position: opts.horizontal ? 'right' : 'top', fontSize: 12 },
      })),
    },
    opts.width ?? 640,
    opts.height ?? 320,
  );
}

/** Lines per month (the monthly flows). */
export function lineChart(opts: { title: string; categories: string[]; series: BarSeries[]; width?: number; height?: number }): string {
  return render(
    {
      title: { text: plain(opts.title), left: 'center', textStyle: { fontSize: 15, fontFamily: FONT } },
      legend: { top: 36, data: opts.series.map((s) => plain(s.name)) },
      grid: { left: 50, right: 30, top: 76, bottom: 40 },
      xAxis: { type: 'category', data: opts.categories.map(plain), boundaryGap: false },
      yAxis: { type: 'value', minInterval: 1 },
      series: opts.series.map((s) => ({ name: plain(s.name), type: 'line', data: s.data, symbolSize: 6 })),
    },
    opts.width ?? 720,
    opts.height ?? 320,
  );
}
