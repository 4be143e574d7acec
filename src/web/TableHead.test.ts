import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TableHead } from './TableHead.js';

describe('TableHead', () => {
  it('renders one header cell per column, in order: labelled, right-aligned numeric, and blank', () => {
    const html = renderToStaticMarkup(createElement(TableHead, { columns: ['Host', { label: 'Value', num: true }, ''] }));
    expect(html).toBe('<thead><tr><th>Host</th><th class="num">Value</th><th></th></tr></thead>');
  });

  it('renders an empty header row for no columns', () => {
    expect(renderToStaticMarkup(createElement(TableHead, { columns: [] }))).toBe('<thead><tr></tr></thead>');
  });
});
