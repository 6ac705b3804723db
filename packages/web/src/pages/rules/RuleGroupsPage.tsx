import { App, Button, Popconfirm, Typography } from 'antd';
import { useCallback, useMemo } from 'react';
import { errorText } from '../../api/client.ts';
import { listDatasources } from '../../api/datasources.ts';
import { deleteRuleGroup, listRuleGroups, type RuleGroup } from '../../api/rule-groups.ts';
import { ListPage } from '../../components/ListPage.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { useLoad, useSession } from '../../hooks.ts';
import { navigate } from '../../router.ts';

/** Admins and operators change rule groups (alertrule:write); everyone logged in reads and tests them. */
export function useCanWriteRules(): boolean {
  const role = useSession()?.user.role;
  return role === 'admin' || role === 'operator';
}

export const groupPath = (id: string) => `/alerting-rules/${encodeURIComponent(id)}`;

/** The alerting rule groups: list, create (in the editor), delete. */
export function RuleGroupsPage() {
  const { message } = App.useApp();
  const load = useCallback(async (signal: AbortSignal) => {
    const [groups, sources] = await Promise.all([listRuleGroups(signal), listDatasources(signal)]);
    return { groups: groups.items, sources: new Map(sources.items.map((s) => [s.id, s.name])) };
  }, []);
  const { data, error, loading, reload } = useLoad(load);
  const canWrite = useCanWriteRules();
  const sources = useMemo(() => data?.sources ?? new Map<string, string>(), [data]);

  const remove = async (g: RuleGroup) => {
    try {
      await deleteRuleGroup(g.id);
      message.success(`${g.name} deleted`);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <div data-testid="rule-groups">
      <ListPage<RuleGroup>
        title="Alerting rules"
        error={error}
        loading={loading && !data}
        rows={data?.groups}
        rowTestId={(g) => `rule-group-row-${g.name}`}
        locale={{
          emptyText: 'No rule groups yet: a group holds the alerting rules a data source evaluates.',
        }}
        actions={
          canWrite && (
            <Button type="primary" onClick={() => navigate(groupPath('new'))} data-testid="rule-group-new">
              New rule group
            </Button>
          )
        }
        columns={[
          {
            title: 'Name',
            dataIndex: 'name',
            render: (name: string, g) => (
              <Typography.Link onClick={() => navigate(groupPath(g.id))} data-testid="rule-group-open">
                {name}
              </Typography.Link>
            ),
          },
          {
            title: 'Data source',
            dataIndex: 'datasourceId',
            render: (id: string | null) => (id ? (sources.get(id) ?? id) : '—'),
          },
          { title: 'Rules', key: 'rules', render: (_: unknown, g) => g.rules.length },
          {
            title: 'Revision',
            dataIndex: 'revision',
            render: (revision: number) => <span data-testid="rule-group-revision">{revision}</span>,
          },
          {
            title: 'Updated',
            dataIndex: 'updatedAt',
            render: (iso: string, g) => (
              <span>
                <RelativeTime iso={iso} /> by {g.author}
              </span>
            ),
          },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, g) =>
              canWrite && (
                <Popconfirm title={`Delete ${g.name} and its revisions?`} onConfirm={() => remove(g)}>
                  <Button size="small" danger data-testid="rule-group-delete">
                    Delete
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
    </div>
  );
}
