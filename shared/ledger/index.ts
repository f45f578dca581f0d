export * from './primitives';
export * from './entry';
export * from './chain';
export * from './checkpoint';
export * from './verify';
export * from './writer';
export * from './voucher';
