export * from './recovery.ts';
export * from './systemctl.ts';
export * from './systemd-backend.ts';
export * from './unit.ts';
