/**
 * Entry point of the data plane's supervisor process, started by the main
 * vpcep process. When the main process goes away, however it went (kill -9
 * included: its end of the IPC channel closes), the supervisor kills its
 * workers and exits, so nothing keeps forwarding for a server that is gone.
 */
import { settingsFromEnv, type FromSupervisor, type ToSupervisor } from './protocol.ts';
import { Supervisor } from './supervisor.ts';

const send = (msg: FromSupervisor): void => {
  if (process.connected) process.send?.(msg);
};

const supervisor = new Supervisor(settingsFromEnv(), send);
process.on('message', (msg: ToSupervisor) => supervisor.handle(msg));
process.on('disconnect', () => supervisor.abandon());
await supervisor.start();
