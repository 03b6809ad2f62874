/**
 * Structured JSON logging (Powertools). One logger per process; never pass secrets, tokens or raw
 * webhook bodies to it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME, SERVICE_NAME_ENV } from './environment';

export const logger = new Logger({
  serviceName: process.env[SERVICE_NAME_ENV] ?? SERVICE_NAME,
  logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' | undefined) ?? (process.env.NODE_ENV === 'test' ? 'SILENT' : 'INFO'),
});
