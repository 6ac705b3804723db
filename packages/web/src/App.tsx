import { Spin } from 'antd';
import { useEffect, useState } from 'react';
import { restoreSession } from './api/client.ts';
import { AppShell, HOME } from './components/AppShell.tsx';
import { useSession } from './hooks.ts';
import { LoginPage } from './pages/LoginPage.tsx';
import { navigate } from './router.ts';

/** Logged in: the console; not: the login page. A reload keeps the login of this tab. */
export function App() {
  const session = useSession();
  const [restored, setRestored] = useState(false);

  useEffect(() => {
    void restoreSession().finally(() => setRestored(true));
  }, []);

  useEffect(() => {
    if (session && (window.location.pathname === '/' || window.location.pathname === '/login'))
      navigate(HOME, { replace: true });
  }, [session]);

  if (!restored) return <Spin fullscreen description="Loading…" />;
  if (!session) return <LoginPage />;
  return <AppShell user={session.user} />;
}
