export * from './common';
export * from './auth';
export * from './ledger';
export * from './catalog';
export * from './purchases';
export * from './jobs';
export * from './engine';
