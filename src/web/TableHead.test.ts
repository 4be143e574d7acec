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

  it('makes a column with a sort key a button, with aria-sort, the arrow and the note in its title', () => {
    const sorting = { sort: { key: 'who', direction: 'desc' } as const, onSort: () => undefined };
    const html = renderToStaticMarkup(createElement(TableHead, { columns: [{ label: 'Who', sort: 'who' }, { label: 'Took', num: true, sort: 'took' }, 'Plain'], sorting, note: 'a page' }));
    expect(html).toBe(
      '<thead><tr>' +
        '<th aria-sort="descending"><button type="button" class="sort-header" title="Sort by who, again to reverse (a page)">Who ▼</button></th>' +
        '<th class="num" aria-sort="none"><button type="button" class="sort-header" title="Sort by took, again to reverse (a page)">Took</button></th>' +
        '<th>Plain</th></tr></thead>',
    );
  });

  it('without sorting, a column with a sort key is a plain header', () => {
    expect(renderToStaticMarkup(createElement(TableHead, { columns: [{ label: 'Who', sort: 'who' }] }))).toBe('<thead><tr><th>Who</th></tr></thead>');
  });
});
