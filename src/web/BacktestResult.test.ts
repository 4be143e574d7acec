import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { BacktestResult } from './BacktestResult.js';
import type { BacktestAnswer } from './operate-api.js';

describe('BacktestResult', () => {
  it('shows a predictive alarm\'s forecast beside the value of a firing, and nothing more for others', () => {
    const answer: BacktestAnswer = {
      alarm: 'data-filling',
      seconds: 3600,
      hosts: [
        {
          host: 'web-1',
          answered: true,
          error: null,
          transitions: [
            { time: 1_780_000_000_000, resource: 'web-1', state: 'fired', value: 104.24, predicted: { threshold: 100, seconds: 13_200, at: 1_780_013_200_000 } },
            { time: 1_780_000_060_000, resource: 'web-1', state: 'cleared', value: 80 },
          ],
        },
      ],
    };
    const html = renderToStaticMarkup(createElement(BacktestResult, { answer }));
    expect(html).toContain('104.2<span class="dim" data-testid="backtest-forecast"> reaches 100 in ~3 h 40 min</span>');
    expect(html.match(/backtest-forecast/g)).toHaveLength(1);
  });
});
