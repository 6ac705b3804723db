import { Alert, Space, Table, type TableColumnsType, type TableProps, Typography } from 'antd';
import { type HTMLAttributes, type ReactNode, useState } from 'react';
import { slicePage } from '../cursor-pages.ts';
import { Pager } from './Pager.tsx';

type ListPageProps<T> = Omit<
  TableProps<T>,
  'rowKey' | 'size' | 'dataSource' | 'onRow' | 'title' | 'children' | 'pagination' | 'scroll'
> & {
  title: string;
  /** Next to the title, e.g. how many there are. */
  titleExtra?: ReactNode;
  /** Right of the title: buttons, filters. */
  actions?: ReactNode;
  /** Why the list did not load. */
  error?: string;
  /** Between the title and the list, e.g. tabs. */
  children?: ReactNode;
  /** Undefined until the first answer. */
  rows: readonly T[] | undefined;
  rowTestId?: (row: T) => string;
  rowStatus?: (row: T) => string;
  /**
   * For a list the server sends whole: shown this many rows at a time with the pager, whose
   * test ids start with `pagerTestId`. A list the server pages puts its own pager below.
   */
  pageSize?: number;
  pagerTestId?: string;
};

/** A list page's frame: the title with its actions, why the list did not load, and the table. */
export function ListPage<T extends { id: string }>({
  title,
  titleExtra,
  actions,
  error,
  children,
  rows,
  rowTestId,
  rowStatus,
  pageSize,
  pagerTestId = 'list',
  ...table
}: ListPageProps<T>) {
  const [page, setPage] = useState(1);
  const columns = table.columns && clipped(table.columns);
  const shown = pageSize ? slicePage(rows ?? [], page, pageSize) : undefined;
  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
        <Space size="middle" wrap>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {title}
          </Typography.Title>
          {titleExtra}
        </Space>
        {actions}
      </Space>
      {children}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Table<T>
        {...table}
        columns={columns}
        rowKey="id"
        size="middle"
        pagination={false}
        // As wide as its content allows; wider than the card (a phone), it scrolls inside it.
        scroll={{ x: true }}
        dataSource={shown ? shown.items : (rows ?? [])}
        // What the end-to-end tests find rows by.
        onRow={(row) =>
          ({
            'data-testid': rowTestId?.(row),
            'data-status': rowStatus?.(row),
          }) as HTMLAttributes<HTMLElement>
        }
      />
      {shown && <Pager page={shown.page} pageCount={shown.pageCount} onPage={setPage} testId={pagerTestId} />}
    </>
  );
}

/**
 * Free text (a title, an error) in at most two lines of a readable width. antd's own `ellipsis`
 * fixes the table layout and keeps the text on one line, so a long error would set the table's
 * width and push the other columns out of the card.
 */
export function clipped<T>(columns: TableColumnsType<T>): TableColumnsType<T> {
  return columns.map((column) => {
    if (!('ellipsis' in column) || !column.ellipsis) return column;
    const render = column.render;
    return {
      ...column,
      ellipsis: false,
      render: (value: unknown, row: T, index: number) => (
        <div className="opsfleet-clip">
          {render ? (render(value, row, index) as ReactNode) : (value as ReactNode)}
        </div>
      ),
    };
  });
}
