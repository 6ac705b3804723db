import { App, Button, Popconfirm, Tabs, Tag } from 'antd';
import { useCallback, useState } from 'react';
import { errorText } from '../api/client.ts';
import { expireSilence, listSilences, matcherText } from '../api/silences.ts';
import type { Matcher, Silence, SilenceState } from '../api/types.ts';
import { ListPage } from '../components/ListPage.tsx';
import { Pager } from '../components/Pager.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { SilenceForm } from '../components/SilenceForm.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../cursor-pages.ts';
import { useLoad, useSession } from '../hooks.ts';

const TABS: { key: SilenceState; label: string }[] = [
  { key: 'active', label: 'Active' },
  { key: 'pending', label: 'Pending' },
  { key: 'expired', label: 'Expired' },
];

const NO_MATCHERS: string[] = [];
const PAGE_SIZE = 50;

/** Silences by state; create one, expire one now. */
export function SilencesPage() {
  const { message } = App.useApp();
  const [tab, setTab] = useState<SilenceState>('active');
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const [creating, setCreating] = useState(false);
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listSilences({ state: tab, limit: PAGE_SIZE, cursor }, signal),
    [tab, cursor],
  );
  const { data, error, loading, reload } = useLoad(load);
  const canWrite = useSession()?.user.role !== 'viewer';

  const expire = async (silence: Silence) => {
    try {
      await expireSilence(silence.id);
      message.success('Silence expired; its alerts come back now');
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <>
      <ListPage<Silence>
        title="Silences"
        actions={
          canWrite && (
            <Button type="primary" onClick={() => setCreating(true)} data-testid="silence-new">
              New silence
            </Button>
          )
        }
        error={error}
        loading={loading}
        rows={data?.items}
        locale={{ emptyText: `No ${tab} silences` }}
        data-testid="silences-table"
        rowTestId={(silence) => `silence-row-${silence.id}`}
        columns={[
          {
            title: 'Matchers',
            dataIndex: 'matchers',
            render: (matchers: Matcher[]) => (
              <span style={{ display: 'inline-flex', flexWrap: 'wrap', gap: 4 }}>
                {matchers.map((m) => (
                  <Tag key={matcherText(m)} className="opsfleet-mono" style={{ marginInlineEnd: 0 }}>
                    {matcherText(m)}
                  </Tag>
                ))}
              </span>
            ),
          },
          {
            title: 'Starts',
            dataIndex: 'startsAt',
            width: 130,
            render: (v: string) => <RelativeTime iso={v} />,
          },
          { title: 'Ends', dataIndex: 'endsAt', width: 130, render: (v: string) => <RelativeTime iso={v} /> },
          { title: 'Comment', dataIndex: 'comment' },
          { title: 'Created by', dataIndex: 'createdBy', width: 140 },
          {
            title: '',
            key: 'actions',
            width: 100,
            render: (_: unknown, silence) =>
              canWrite &&
              silence.state !== 'expired' && (
                <Popconfirm
                  title="Expire this silence now?"
                  description="The alerts it mutes come back at once."
                  okText="Expire"
                  onConfirm={() => expire(silence)}
                >
                  <Button danger size="small" data-testid={`silence-expire-${silence.id}`}>
                    Expire
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      >
        <Tabs
          activeKey={tab}
          onChange={(key) => {
            setTab(key as SilenceState);
            setTrail(FIRST_PAGE);
          }}
          items={TABS}
        />
      </ListPage>
      <Pager trail={trail} onChange={setTrail} nextCursor={data?.nextCursor} testId="silences" />
      <SilenceForm
        open={creating}
        matchers={NO_MATCHERS}
        onClose={() => setCreating(false)}
        onCreated={reload}
      />
    </>
  );
}
