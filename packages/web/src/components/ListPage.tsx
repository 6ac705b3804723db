import { Alert, Space, Table, type TableProps, Typography } from 'antd';
import type { HTMLAttributes, ReactNode } from 'react';

type ListPageProps<T> = Omit<
  TableProps<T>,
  'rowKey' | 'size' | 'dataSource' | 'onRow' | 'title' | 'children'
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
  ...table
}: ListPageProps<T>) {
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
        rowKey="id"
        size="middle"
        dataSource={rows ?? []}
        // What the end-to-end tests find rows by.
        onRow={(row) =>
          ({
            'data-testid': rowTestId?.(row),
            'data-status': rowStatus?.(row),
          }) as HTMLAttributes<HTMLElement>
        }
      />
    </>
  );
}
