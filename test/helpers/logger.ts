import winston from 'winston';

/** A winston logger that drops everything, for injecting into components under test. */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ silent: true });
}
