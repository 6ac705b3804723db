import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { type ECharts, init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { ChartOption } from '../chart-option.ts';

// Only what the console draws, so the chart chunk stays a fraction of echarts' full build.
use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type { ChartOption } from '../chart-option.ts';

/**
 * An echarts chart that follows its container's width (a collapsing menu or a phone turned
 * sideways resizes it) and redraws when `option` changes. `onItemClick` hears the clicked
 * item's index within its series.
 */
export function EChart({
  option,
  height = 260,
  label,
  testId,
  onItemClick,
}: {
  option: ChartOption;
  height?: number;
  /** What the chart shows, for screen readers (a canvas says nothing by itself). */
  label: string;
  testId?: string;
  onItemClick?: (dataIndex: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts>(undefined);
  const click = useRef(onItemClick);
  click.current = onItemClick;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const c = init(el, undefined, { renderer: 'canvas' });
    chart.current = c;
    c.on('click', (p) => click.current?.(p.dataIndex));
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return (
    <div ref={box} role="img" aria-label={label} data-testid={testId} style={{ width: '100%', height }} />
  );
}
