/**
 * The host panel's containers and pods: two tables asked again every 2 s (polled, not pushed: see
 * usePolledAnswer), so they update like the rest of the panel; sortable by any column; each name
 * opens the Console on that container or pod, each heading on all of them. A host without containers says whether its agent looks for them at all.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { formatNumber, seconds } from '../protocol/index.js';
import type { ContainerRow, PodRow } from './host-containers.js';
import { consoleHref, containerRows, containerStatement, failureText, noContainersText, noPodsText, podRows, podStatement } from './host-containers.js';
import { navigateOnClick } from './navigate.js';
import type { SortOrder } from './table-sort.js';
import { nextSort, sortRows } from './table-sort.js';
import type { LiveAnswer } from './use-live.js';
import { usePolledAnswer } from './use-live.js';
import type { Column } from './VirtualTable.js';
import { VirtualTable } from './VirtualTable.js';

/** As often as the panel's live answers come. */
const EVERY_MS = 2000;

const dash = (v: number | undefined, unit: string) => (v === undefined ? '-' : formatNumber(v, unit));
const ageOf = (created: number | undefined) => (created === undefined ? undefined : Math.max(0, Date.now() / 1000 - created));

function ConsoleLink(props: { href: string; children: ReactNode; title: string }) {
  return (
    <a href={props.href} onClick={navigateOnClick} title={props.title}>
      {props.children}
    </a>
  );
}

/** A table sorted by a clicked header, in the component's own state (the URL keeps the Fleet table's). */
function SortedTable<T>(props: { rows: readonly T[]; columns: readonly Column<T>[]; rowKey: (r: T) => string; testId: string; minWidth: string }) {
  const [sort, setSort] = useState<SortOrder | undefined>();
  const by = sort && props.columns.find((c) => c.key === sort.key)?.sortValue;
  const rows = sort && by ? sortRows(props.rows, sort, by) : props.rows;
  return <VirtualTable rows={rows} columns={props.columns} rowKey={props.rowKey} sort={sort} onSort={(key) => setSort(nextSort(sort, key))} maxVisible={10} minWidth={props.minWidth} testId={props.testId} />;
}

/** The host's containers and pods, live. `discovery` is the host's `container_discovery` attribute. */
export function HostContainers(props: { host: string; discovery: unknown }) {
  const host = props.host;
  const containers = usePolledAnswer(containerStatement(host), EVERY_MS);
  const pods = usePolledAnswer(podStatement(host), EVERY_MS);
  const cRows = containers.rows && containerRows(containers.rows);
  const pRows = pods.rows && podRows(pods.rows);

  const containerColumns: Column<ContainerRow>[] = [
    {
      key: 'name',
      header: 'name',
      width: 'minmax(7rem, 1.3fr)',
      sortValue: (r) => r.name,
      render: (r) => (
        <ConsoleLink href={consoleHref(host, 'container', { name: r.name })} title={`open host | name = "${host}" | container | name = "${r.name}" in the Console`}>
          {r.name}
        </ConsoleLink>
      ),
    },
    { key: 'image', header: 'image', width: 'minmax(5rem, 1fr)', sortValue: (r) => r.image, render: (r) => <span title={r.image}>{r.image || '-'}</span> },
    { key: 'state', header: 'state', width: '4.8rem', sortValue: (r) => r.state, render: (r) => r.state || '-' },
    {
      key: 'pod',
      header: 'pod',
      width: 'minmax(6rem, 1fr)',
      sortValue: (r) => r.pod || undefined,
      render: (r) =>
        r.pod ? (
          <ConsoleLink href={consoleHref(host, 'pod', { namespace: r.podNamespace, name: r.podName })} title={`open the pod ${r.pod} in the Console`}>
            {r.pod}
          </ConsoleLink>
        ) : (
          '-'
        ),
    },
    { key: 'cpu', header: 'CPU', width: '4.6rem', numeric: true, sortValue: (r) => r.cpu, render: (r) => dash(r.cpu, 'percent') },
    { key: 'mem', header: 'memory', width: '5.4rem', numeric: true, sortValue: (r) => r.mem, render: (r) => dash(r.mem, 'bytes') },
    { key: 'restarts', header: 'restarts', width: '4.4rem', numeric: true, sortValue: (r) => r.restarts, render: (r) => dash(r.restarts, 'count') },
    { key: 'age', header: 'age', width: '4.4rem', numeric: true, sortValue: (r) => ageOf(r.created), render: (r) => (r.created === undefined ? '-' : seconds(ageOf(r.created) as number)) },
  ];
  const podColumns: Column<PodRow>[] = [
    {
      key: 'name',
      header: 'namespace/name',
      width: 'minmax(9rem, 2fr)',
      sortValue: (r) => `${r.namespace}/${r.name}`,
      render: (r) => (
        <ConsoleLink href={consoleHref(host, 'pod', { namespace: r.namespace, name: r.name })} title={`open the pod ${r.namespace}/${r.name} in the Console`}>
          {r.namespace}/{r.name}
        </ConsoleLink>
      ),
    },
    { key: 'containers', header: 'containers', width: '5.6rem', numeric: true, sortValue: (r) => r.containers, render: (r) => dash(r.containers, 'count') },
    { key: 'cpu', header: 'CPU', width: '4.6rem', numeric: true, sortValue: (r) => r.cpu, render: (r) => dash(r.cpu, 'percent') },
    { key: 'mem', header: 'memory', width: '5.4rem', numeric: true, sortValue: (r) => r.mem, render: (r) => dash(r.mem, 'bytes') },
  ];

  return (
    <>
      <Section title="Containers" type="container" host={host} answer={containers} rows={cRows} empty={noContainersText(host, props.discovery)} columns={containerColumns} minWidth="42rem" />
      <Section title="Pods" type="pod" host={host} answer={pods} rows={pRows} empty={noPodsText(host, props.discovery)} columns={podColumns} minWidth="26rem" />
    </>
  );
}

/** One of the two: a heading with a link into the Console, why the answer failed, the table or why it is empty. */
function Section<T extends { readonly id: string }>(props: { title: string; type: 'container' | 'pod'; host: string; answer: LiveAnswer; rows: readonly T[] | undefined; empty: string; columns: readonly Column<T>[]; minWidth: string }) {
  const failed = props.answer.error ?? failureText(props.answer.failures);
  const what = props.title.toLowerCase();
  return (
    <>
      <h3>
        {props.title}{' '}
        <ConsoleLink href={consoleHref(props.host, props.type)} title={`open this host's ${what} in the Console`}>
          <span className="small">Console ↗</span>
        </ConsoleLink>
      </h3>
      {failed && <div className="error-box">{failed}</div>}
      {props.rows === undefined ? (
        <p className="dim">Loading…</p>
      ) : props.rows.length === 0 ? (
        failed ? null : (
          <p className="dim" data-testid={`no-${what}`}>
            {props.empty}
          </p>
        )
      ) : (
        <SortedTable rows={props.rows} columns={props.columns} rowKey={(r) => r.id} testId={`host-${what}`} minWidth={props.minWidth} />
      )}
    </>
  );
}
